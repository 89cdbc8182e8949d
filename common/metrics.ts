// Accuracy metrics over [N, K] logits tensors, shared by the demo, the quantizer's reports and the tests.

import type { Tensor } from './tensor.js';

/** The index of the largest value of each row of an [N, K] tensor (first index on ties). */
export function argmaxRows(t: Tensor): number[] {
  const n = t.shape[0] ?? 0;
  const k = n === 0 ? 0 : t.data.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++)
      if (Number(t.data[i * k + j]) > Number(t.data[i * k + best])) best = j;
    out.push(best);
  }
  return out;
}

/** Top-1 accuracy of [N, K] logits against N labels, in [0, 1]. */
export function top1(logits: Tensor, labels: readonly number[]): number {
  const pred = argmaxRows(logits);
  return pred.filter((p, i) => p === labels[i]).length / pred.length;
}
