// Pass: a clamp (IntClip) and then a table (QLinearLut) after a conv / gemm fold into its epilogue (mac.quant act).

import { Q_RANGE } from '../../reference/quant/requant.js';
import type { ClampOp, ConvOp, GemmOp, LutOp, NpuGraph, NpuOp } from '../ir.js';
import { useDef } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

/** The single consumer of a conv / gemm output that is an intermediate (not a program output), if any. */
function soleConsumer(g: NpuGraph, op: ConvOp | GemmOp): NpuOp | undefined {
  if (g.tensors.get(op.output)?.kind !== 'intermediate') return undefined;
  const users = useDef(g).consumers.get(op.output) ?? [];
  return users.length === 1 && users[0].inputs.length === 1 ? users[0] : undefined;
}

/** The clamp becomes act relu (max(q, outZp), the ISA's) or act clip. */
function foldClamp(op: ConvOp | GemmOp, c: ClampOp): void {
  const { dtype, zp } = op.epilogue.out;
  const [lo, hi] = [Math.max(c.lo, Q_RANGE[dtype][0]), Math.min(c.hi, Q_RANGE[dtype][1])];
  op.epilogue.activation =
    lo === zp && hi === Q_RANGE[dtype][1] ? { act: 'relu' } : { act: 'clip', lo, hi };
}

/**
 * The table replaces the activation: a relu / clip before it is folded into the table itself
 * (table'[i] = table[clamp(qmin + i) − qmin]), exact because both act on the same 256 codes.
 */
function foldLut(op: ConvOp | GemmOp, l: LutOp): void {
  const { dtype, zp } = op.epilogue.out;
  const [qmin, qmax] = Q_RANGE[dtype];
  const a = op.epilogue.activation;
  const [lo, hi] = a.act === 'relu' ? [zp, qmax] : a.act === 'clip' ? [a.lo, a.hi] : [qmin, qmax];
  const table = l.table instanceof Int8Array ? new Int8Array(256) : new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = l.table[Math.min(Math.max(qmin + i, lo), hi) - qmin];
  op.epilogue.activation = { act: 'lut', table };
}

export function fuseEpilogues(g: NpuGraph): void {
  for (const op of g.ops) {
    if (op.kind !== 'conv' && op.kind !== 'gemm') continue;
    for (;;) {
      const next = soleConsumer(g, op);
      const act = op.epilogue.activation.act;
      if (next?.kind === 'clamp' && act === 'none') foldClamp(op, next);
      else if (next?.kind === 'lut' && act !== 'lut' && sameType(g, op.output, next.output))
        foldLut(op, next);
      else break;
      // the fused op now writes the consumer's output tensor; the intermediate disappears
      g.tensors.delete(op.output);
      op.output = next.output;
      op.nodes.push(...next.nodes);
      g.ops = g.ops.filter((o) => o !== next);
    }
  }
}

/** The ISA's table returns the requantized type: the LUT's input and output types must agree. */
const sameType = (g: NpuGraph, a: string, b: string): boolean =>
  g.tensors.get(a)?.dtype === g.tensors.get(b)?.dtype;

export const fuseEpiloguesPass: Pass = {
  name: 'fuse-epilogues',
  run(s) {
    fuseEpilogues(need(s.graph, 'the NPU graph', 'fuse-epilogues'));
  },
};
