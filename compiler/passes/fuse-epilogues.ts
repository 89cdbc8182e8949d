// Pass: a clamp (IntClip) and then a table (QLinearLut) after a conv / gemm fold into its epilogue (mac.quant act);
// a clamp after an add / mul folds into its output clip (a residual Add + ReLU is one vector op).

import { Q_RANGE } from '../../reference/quant/requant.js';
import type { BinaryOp, ClampOp, ConvOp, GemmOp, LutOp, NpuGraph, NpuOp } from '../ir.js';
import { useDef } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

/** The single consumer of a conv / gemm output that is an intermediate (not a program output), if any. */
function soleConsumer(g: NpuGraph, op: NpuOp): NpuOp | undefined {
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

/**
 * vec.add / vec.mul store min(max(q, clip.lo), clip.hi); a clamp [lo, hi] after it composes to the intersection
 * when the ranges overlap (disjoint ranges would pin every output to one code: left alone).
 */
function clampFolds(op: BinaryOp, c: ClampOp): boolean {
  return Math.max(op.clip.lo, c.lo) <= Math.min(op.clip.hi, c.hi);
}

/** The consumer's output replaces the fused op's; the intermediate tensor and the consumer disappear. */
function absorb(g: NpuGraph, op: NpuOp, next: NpuOp): void {
  g.tensors.delete(op.output);
  op.output = next.output;
  op.nodes.push(...next.nodes);
  g.ops = g.ops.filter((o) => o !== next);
}

export function fuseEpilogues(g: NpuGraph): void {
  for (const op of g.ops) {
    if (op.kind === 'add' || op.kind === 'mul') {
      for (;;) {
        const next = soleConsumer(g, op);
        if (next?.kind !== 'clamp' || !clampFolds(op, next)) break;
        op.clip = { lo: Math.max(op.clip.lo, next.lo), hi: Math.min(op.clip.hi, next.hi) };
        absorb(g, op, next);
      }
      continue;
    }
    if (op.kind !== 'conv' && op.kind !== 'gemm') continue;
    for (;;) {
      const next = soleConsumer(g, op);
      const act = op.epilogue.activation.act;
      if (next?.kind === 'clamp' && act === 'none') foldClamp(op, next);
      else if (next?.kind === 'lut' && act !== 'lut' && sameType(g, op.output, next.output))
        foldLut(op, next);
      else break;
      // the fused op now writes the consumer's output tensor; the intermediate disappears
      absorb(g, op, next);
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
