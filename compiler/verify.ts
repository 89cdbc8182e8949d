// IR verification between passes (style principle 7): a broken invariant is a compiler bug, named with the pass.

import { DTYPE_BYTES, sizeOf } from '../common/tensor.js';
import type { NpuGraph } from './ir.js';
import { opOutputs } from './ir.js';

/**
 * Checks: every tensor an op reads is a program input or written by an earlier op (execution order is a
 * topological order); one producer per tensor; every op tensor is in the tensor table; a view's output has its
 * input's byte size; program I/O tensors exist. Throws a plain Error naming `after` (the pass just run).
 */
export function verifyGraph(g: NpuGraph, after: string): void {
  const bad = (msg: string): never => {
    throw new Error(`compiler IR invalid after '${after}': ${msg}`);
  };
  const defined = new Set(g.inputs.map((b) => b.tensor));
  for (const b of [...g.inputs, ...g.outputs])
    if (!g.tensors.has(b.tensor)) bad(`program I/O '${b.tensor}' has no tensor`);
  for (const op of g.ops) {
    for (const i of op.inputs) {
      if (!g.tensors.has(i)) bad(`op ${op.id} (${op.kind}) reads unknown tensor '${i}'`);
      if (!defined.has(i)) bad(`op ${op.id} (${op.kind}) reads '${i}' before it is written`);
    }
    for (const o of opOutputs(op)) {
      if (!g.tensors.has(o)) bad(`op ${op.id} (${op.kind}) writes unknown tensor '${o}'`);
      if (defined.has(o)) bad(`'${o}' is written twice (op ${op.id})`);
      defined.add(o);
    }
    if (op.kind === 'move' && op.view) {
      const [a, b] = [g.tensors.get(op.inputs[0])!, g.tensors.get(op.output)!];
      if (sizeOf(a.shape) * DTYPE_BYTES[a.dtype] !== sizeOf(b.shape) * DTYPE_BYTES[b.dtype])
        bad(`view op ${op.id} changes the byte size ('${a.name}' → '${b.name}')`);
    }
  }
  for (const b of g.outputs)
    if (!defined.has(b.tensor)) bad(`program output '${b.tensor}' is never written`);
}
