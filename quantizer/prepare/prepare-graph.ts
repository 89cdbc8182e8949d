// Graph preparation before calibration: BN folding, constant folding, PRelu -> LeakyRelu, conv+activation pairs.

import type { Model } from '../../onnx/graph.js';
import { foldConstants } from '../../onnx/fold-constants.js';
import { KERNELS } from '../../reference/ops/registry.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { findFusedActivations, type FusedActivation } from './fuse-activation.js';
import { preluToLeakyRelu } from './prelu-to-leaky.js';

export interface PreparedGraph {
  model: Model;
  /** Conv/Gemm + Relu/Clip pairs (ranges of the pair come from the activation's output). */
  fused: FusedActivation[];
  /** What the passes changed, for the report. */
  log: { foldedBatchNorms: string[]; preluRewritten: string[]; constantNodesFolded: number };
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
  return {
    model: m,
    fused: findFusedActivations(m),
    log: { foldedBatchNorms: bn.folded, preluRewritten: pr.rewritten, constantNodesFolded },
  };
}
