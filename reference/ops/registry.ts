// The reference interpreter's op table: float ops, QOperator ops and the internal ops of QDQ lowering.

import type { Kernel } from '../kernel.js';
import { FLOAT_KERNELS } from './float-registry.js';
import { QUANT_KERNELS } from './quant-registry.js';
import { QDQ_KERNELS } from './qdq-registry.js';
import { IBERT_KERNELS } from '../ibert/ops.js';

function merge(...tables: Record<string, Kernel>[]): Record<string, Kernel> {
  const out: Record<string, Kernel> = {};
  for (const table of tables) {
    for (const [key, kernel] of Object.entries(table)) {
      // a key registered twice is a bug in the tables, not a user error
      if (key in out) throw new Error(`kernel '${key}' is registered twice`);
      out[key] = kernel;
    }
  }
  return out;
}

export const KERNELS: Readonly<Record<string, Kernel>> = merge(
  FLOAT_KERNELS,
  QUANT_KERNELS,
  QDQ_KERNELS,
  IBERT_KERNELS,
);
