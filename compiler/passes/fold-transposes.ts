// Pass: a transpose whose input is another transpose's output read by it alone becomes one transpose (composed perm).

import type { MoveOp, NpuGraph, NpuOp } from '../ir.js';
import { useDef } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

const isTranspose = (op: NpuOp | undefined): op is MoveOp & { perm: number[] } =>
  op?.kind === 'move' && op.what === 'transpose' && op.perm !== undefined;

/**
 * Attention's heads: torch writes K → Reshape → Transpose(0,2,3,1) (Kᵀ) and the act × act matmul lowering adds the
 * transpose of its B back to [n][k]; composed, one copy (0,2,1,3) with the innermost axis in place. z = T2(T1(x)):
 * z.shape[i] = x.shape[p1[p2[i]]], so the perm is p2 mapped through p1. Returns the number of folds.
 */
export function foldTransposes(g: NpuGraph): number {
  let folds = 0;
  for (;;) {
    const { producer, consumers } = useDef(g);
    const outputs = new Set(g.outputs.map((b) => b.tensor));
    const pair = g.ops
      .filter(isTranspose)
      .map((t2) => [producer.get(t2.inputs[0]), t2] as const)
      .find(
        ([t1]) =>
          isTranspose(t1) &&
          !outputs.has(t1.output) &&
          (consumers.get(t1.output) ?? []).length === 1,
      );
    if (pair === undefined) return folds;
    const [t1, t2] = pair as unknown as [MoveOp & { perm: number[] }, MoveOp & { perm: number[] }];
    t2.perm = t2.perm.map((i) => t1.perm[i]);
    t2.inputs = [t1.inputs[0]];
    t2.nodes = [...t1.nodes, ...t2.nodes];
    g.ops = g.ops.filter((o) => o !== t1);
    g.tensors.delete(t1.output);
    folds++;
  }
}

export const foldTransposesPass: Pass = {
  name: 'fold-transposes',
  run(s) {
    foldTransposes(need(s.graph, 'the NPU graph', 'fold-transposes'));
  },
};
