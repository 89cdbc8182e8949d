// Graph preparation before calibration: BN/constant folding, PRelu, LayerNorm/GELU patterns, conv+act pairs.

import type { Model } from '../../onnx/graph.js';
import { foldConstants } from '../../onnx/fold-constants.js';
import { KERNELS } from '../../reference/ops/registry.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { findFusedActivations, type FusedActivation } from './fuse-activation.js';
import { preluToLeakyRelu } from './prelu-to-leaky.js';
import { rewriteGeluPatterns } from './gelu-pattern.js';
import { rewriteLayerNormPatterns } from './layernorm-pattern.js';

export interface PreparedGraph {
  model: Model;
  /** Conv/Gemm + Relu/Clip pairs (ranges of the pair come from the activation's output). */
  fused: FusedActivation[];
  /** What the passes changed, for the report. */
  log: {
    foldedBatchNorms: string[];
    preluRewritten: string[];
    constantNodesFolded: number;
    /** LayerNormalization nodes made from ReduceMean / Sub / Pow / Sqrt / Div patterns. */
    layerNormPatterns?: string[];
    /** Gelu nodes made from x·0.5·(1 + Erf(x/√2)) patterns. */
    geluPatterns?: string[];
  };
}

export function prepareGraph(model: Model): PreparedGraph {
  const before = model.graph.nodes.length;
  // fold constants first: exporters hide BN parameters and weights behind Constant / Identity nodes
  let m = foldConstants(model, KERNELS);
  const constantNodesFolded = before - m.graph.nodes.length;
  const bn = foldBatchNorm(m);
  m = bn.model;
  const pr = preluToLeakyRelu(m);
  m = pr.model;
  // transformer patterns become single ops, so each gets one input and one output Q/DQ pair
  const ln = rewriteLayerNormPatterns(m);
  m = ln.model;
  const gelu = rewriteGeluPatterns(m);
  m = gelu.model;
  return {
    model: m,
    fused: findFusedActivations(m),
    log: {
      foldedBatchNorms: bn.folded,
      preluRewritten: pr.rewritten,
      constantNodesFolded,
      layerNormPatterns: ln.rewritten.map((r) => r.name),
      geluPatterns: gelu.rewritten,
    },
  };
}
