// Activation parameters in topological order (calibrated, fixed by the op, or shared through data movement) and
// the Relu / Clip nodes that disappear into the preceding Conv / Gemm's output range.

import type { Graph } from '../../onnx/graph.js';
import { topoSort } from '../../onnx/topo.js';
import type { FusedActivation } from '../prepare/fuse-activation.js';
import { activationParams, FIXED_OUTPUT, type QParams } from './qparams.js';

export interface ActivationEntry {
  name: string;
  range: [number, number];
  scale: number;
  zeroPoint: number;
  /** calibrated, fixed by the op (Sigmoid/Softmax), or shared with the input of a data-movement op. */
  source: 'calibrated' | 'fixed' | 'shared';
}

/** Ops whose output reuses the input's parameters (they only move or select values). */
const SHARE_INPUT = new Set([
  'MaxPool',
  'Reshape',
  'Flatten',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Slice',
  'Split',
  'Gather',
  'DepthToSpace',
  'SpaceToDepth',
  'Expand',
  'Tile',
]);

export interface ActivationPlan {
  params: Map<string, QParams>;
  entries: Map<string, ActivationEntry>;
  removedActivations: string[];
}

/**
 * `g` is edited in place (activations removed, producers renamed); `fused` holds g's own nodes. A Relu goes when the
 * output's zero point is -128 and a Clip when the int8 range lies inside [min, max] (onnxruntime's
 * ReluQuantTransformer / ClipQuantFusion conditions), so removing them changes no quantized value.
 */
export function planActivations(
  g: Graph,
  fused: readonly FusedActivation[],
  ranges: ReadonlyMap<string, readonly [number, number]>,
  symmetric: boolean,
  exclude: ReadonlySet<string> = new Set(),
): ActivationPlan {
  const opts = { symmetric };
  // 1. parameters of every calibrated activation, in topological order
  const params = new Map<string, QParams>();
  const entries = new Map<string, ActivationEntry>();
  const setParams = (name: string, p: QParams, src: ActivationEntry['source']): void => {
    params.set(name, p);
    entries.set(name, { name, range: [...(ranges.get(name) ?? [0, 0])], ...p, source: src });
  };
  for (const i of g.inputs) {
    const r = ranges.get(i.name);
    if (r !== undefined) setParams(i.name, activationParams(r, opts.symmetric), 'calibrated');
  }
  for (const n of topoSort(g)) {
    n.outputs.forEach((o) => {
      const r = ranges.get(o);
      if (o === '' || r === undefined) return;
      const fixed = FIXED_OUTPUT[n.opType];
      const inP = params.get(n.inputs[0] ?? '');
      if (fixed !== undefined && n.domain === '') setParams(o, fixed, 'fixed');
      else if (SHARE_INPUT.has(n.opType) && inP !== undefined) setParams(o, inP, 'shared');
      else setParams(o, activationParams(r, opts.symmetric), 'calibrated');
    });
  }

  // 2. Relu / Clip after Conv / Gemm disappear when the output's int8 range already saturates like them
  const removedActivations: string[] = [];
  for (const f of fused) {
    const act = f.activation;
    const prod = f.producer;
    const p = params.get(act.outputs[0]);
    if (p === undefined || exclude.has(act.name) || exclude.has(prod.name)) continue;
    const lo = (-128 - p.zeroPoint) * p.scale;
    const hi = (127 - p.zeroPoint) * p.scale;
    const eps = 1.1920929e-7;
    const removable =
      act.opType === 'Relu' ? p.zeroPoint === -128 : lo >= f.low - eps && hi <= f.high + eps;
    if (!removable) continue;
    entries.delete(prod.outputs[0]);
    prod.outputs[0] = act.outputs[0];
    g.nodes = g.nodes.filter((n) => n !== act);
    removedActivations.push(act.name);
  }

  // 3. with excluded nodes, a tensor stays float when neither its producer nor any consumer is quantized
  if (exclude.size > 0) {
    const quantizedUse = new Set<string>();
    for (const n of g.nodes) {
      if (exclude.has(n.name)) continue;
      for (const v of [...n.inputs, ...n.outputs]) quantizedUse.add(v);
    }
    for (const name of [...params.keys()]) {
      if (quantizedUse.has(name)) continue;
      params.delete(name);
      entries.delete(name);
    }
  }
  return { params, entries, removedActivations };
}
