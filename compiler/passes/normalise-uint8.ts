// Pass: uint8 activations at zero point 128 become int8 at zero point 0 (codes − 128), wherever that is exact.

import type { NpuGraph, NpuOp, TensorValue } from '../ir.js';
import { useDef } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

// Why it is exact (docs/compiler.md, "uint8 normalisation"): the shift maps code u to u − 128 and zp to zp − 128, so
// every (code − zp) is unchanged: conv / gemm accumulators, add / mul / global-average operands are identical;
// requantized results are R(acc) + zp saturated to [0, 255], which shifted is R(acc) + (zp − 128) saturated to
// [−128, 127]; tables are indexed by code − qmin (the same entry) and their uint8 outputs shift by 128; clamp bounds
// and pad codes shift by 128; max pool, moves and resizes commute with a monotone shift. Not exact: the raw-code
// average of TFLite average pooling (its ties round away from zero, which is not shift-invariant) and the float
// average pool's `+ zp` before rounding; host ops run the reference on the original types. Those block the shift.

/** Ops whose input and output codes must share one type: their tensors shift together or not at all. */
const SAME_CODES = (op: NpuOp): boolean =>
  op.kind === 'move' ||
  op.kind === 'pad' ||
  op.kind === 'resize' ||
  op.kind === 'clamp' ||
  (op.kind === 'pool' && op.pool === 'max');

// the I-BERT parameter blocks and the act × act matmul's B zero point hold the original codes' parameters
const BLOCKS = (op: NpuOp): boolean =>
  op.kind === 'host' ||
  op.kind === 'ibert' ||
  op.kind === 'matmul' ||
  (op.kind === 'pool' && op.pool === 'avg');

const candidate = (t: TensorValue): boolean => t.dtype === 'uint8' && t.quant?.zp === 128;

export function normaliseUint8(g: NpuGraph): Set<string> {
  // union-find over tensors that must share a type
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const union = (a: string, b: string): void => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const blocked = new Set<string>();
  for (const op of g.ops) {
    if (SAME_CODES(op)) for (const i of op.inputs) union(i, op.output);
    if (BLOCKS(op)) for (const t of [...op.inputs, op.output]) blocked.add(t);
  }
  // a raw-integer program input or output keeps its type: the user feeds and reads the model's own codes
  for (const b of [...g.inputs, ...g.outputs]) if (b.quant === undefined) blocked.add(b.tensor);
  const classOk = new Map<string, boolean>();
  for (const t of g.tensors.values()) {
    const r = find(t.name);
    const ok = candidate(t) && !blocked.has(t.name);
    classOk.set(r, (classOk.get(r) ?? true) && ok);
  }
  const shifted = new Set(
    [...g.tensors.values()].filter((t) => classOk.get(find(t.name)) === true).map((t) => t.name),
  );
  const { producer } = useDef(g);
  for (const name of shifted) {
    const t = g.tensors.get(name)!;
    g.tensors.set(name, {
      ...t,
      dtype: 'int8',
      quant: { scale: t.quant!.scale, zp: t.quant!.zp - 128 },
      ...(t.kind !== 'intermediate' ? { codeOffset: 128 } : {}),
    });
    const p = producer.get(name);
    if (p !== undefined) shiftProducer(p);
  }
  for (const b of [...g.inputs, ...g.outputs])
    if (shifted.has(b.tensor) && b.quant !== undefined)
      b.quant = { ...b.quant, dtype: 'int8', zp: b.quant.zp - 128 };
  return shifted;
}

/** Re-derives what the producer of a shifted tensor writes (its codes move down by 128). */
function shiftProducer(op: NpuOp): void {
  switch (op.kind) {
    case 'conv':
    case 'gemm':
      op.epilogue.out = { dtype: 'int8', zp: op.epilogue.out.zp - 128 };
      return;
    case 'lut':
      if (op.table instanceof Uint8Array) op.table = Int8Array.from(op.table, (v) => v - 128);
      return;
    case 'clamp':
      op.lo -= 128;
      op.hi -= 128;
      return;
    case 'pad':
      op.value -= 128;
      return;
    case 'add':
    case 'mul':
      op.clip = { lo: -128, hi: 127 };
      return;
    case 'pool':
    case 'move':
    case 'resize':
    case 'host':
    case 'ibert':
    case 'matmul':
      return;
  }
}

export const normaliseUint8Pass: Pass = {
  name: 'normalise-uint8',
  run(s) {
    normaliseUint8(need(s.graph, 'the NPU graph', 'normalise-uint8'));
  },
};
