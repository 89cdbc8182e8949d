// Short human-readable summaries of tensors for CLI output.

import type { Tensor } from '../common/tensor.js';

/** First few values plus min/max, e.g. `[1, 2, 3, … ] min 0 max 9`. */
export function formatTensorSummary(t: Tensor, head = 8): string {
  const n = t.data.length;
  const vals: string[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = Number(t.data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    if (i < head) vals.push(Number.isInteger(v) ? String(v) : v.toPrecision(5));
  }
  const more = n > head ? ', …' : '';
  return `[${vals.join(', ')}${more}] min ${n ? min : '-'} max ${n ? max : '-'}`;
}
