// The compiler on one screen: the passes in order (docs/compiler.md describes each one and its invariants).

import { fail, NpuError } from '../common/diagnostics.js';
import type { Model } from '../onnx/graph.js';
import { bindIoPass } from './passes/bind-io.js';
import { buildIrPass } from './passes/build-ir.js';
import { chooseLayoutPass } from './passes/choose-layout.js';
import { checkSupportPass } from './passes/check-support.js';
import { emitPass } from './passes/emit.js';
import { estimatePass } from './passes/estimate.js';
import { foldConstantsPass } from './passes/fold-constants.js';
import { foldTransposesPass } from './passes/fold-transposes.js';
import { fuseEpiloguesPass } from './passes/fuse-epilogues.js';
import { fuseUnaryRegionsPass } from './passes/fuse-unary-regions.js';
import { inferStaticShapesPass } from './passes/infer-static-shapes.js';
import { lowerQdqPass } from './passes/lower-qdq.js';
import { normaliseUint8Pass } from './passes/normalise-uint8.js';
import { planMemoryPass } from './passes/plan-memory.js';
import { tilePass } from './passes/tile.js';
import type { CompileOptions, CompileResult, CompileState, Pass } from './state.js';
import { need } from './state.js';
import { verifyGraph } from './verify.js';

export const PIPELINE: readonly Pass[] = [
  // torch exports hide weights and shapes behind Constant / Cast / Shape subgraphs
  foldConstantsPass,
  // QDQ groups → the integer ops onnxruntime and the reference run (QLinearConv, QGemm, QLinearLut, IntClip, ...)
  lowerQdqPass,
  // element-wise float regions between one DQ and a Q (torch's HardSigmoid · x) are 256-entry tables
  fuseUnaryRegionsPass,
  // tiling and addresses need every dimension as a number
  inferStaticShapesPass,
  // the float Q after a graph input and DQ before an output run on the host; the NPU sees integer codes
  bindIoPass,
  // one error listing every node the NPU cannot run (or, with cpuFallback, the NPU / host partition)
  checkSupportPass,
  // the lowering table turns each NPU node into NPU ops with their exact quantization parameters
  buildIrPass,
  // two transposes in a row (torch's Kᵀ, then the matmul's Bᵀ) are one copy
  foldTransposesPass,
  // uint8 at zero point 128 becomes symmetric int8 where that is exact
  normaliseUint8Pass,
  // clamp and table after a conv / gemm ride in its epilogue (no extra pass over SRAM)
  fuseEpiloguesPass,
  // CHW per image, rows contiguous: the ISA's conv operand order and ONNX's own, so reshapes stay free
  chooseLayoutPass,
  // output-row × output-channel tiles whose working set (halos, double buffers, constants) fits SRAM
  tilePass,
  // constants image, I/O, and intermediates reused by liveness
  planMemoryPass,
  // per-layer MACs, DRAM bytes, cycles for the report
  estimatePass,
  // double-buffered tile loops with semaphores, ops in order; the constants image; prog.bin's I/O descriptors
  emitPass,
];

/**
 * A dynamically quantized model is refused before any pass (as check-support would, later): its other problems,
 * such as a symbolic batch dimension, are beside the point.
 */
function refuseDynamicQuantization(model: Model, options: CompileOptions): void {
  const dynamic = model.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear');
  if (dynamic.length > 0 && !options.cpuFallback)
    fail('npuDynamicQuantization', [dynamic.length, dynamic[0].name], {
      ...(model.file !== undefined ? { file: model.file } : {}),
    });
}

/** Runs `passes` over a fresh state (tests run prefixes of the pipeline). */
export function runPasses(
  model: Model,
  options: CompileOptions,
  passes: readonly Pass[] = PIPELINE,
): CompileState {
  const state: CompileState = { options, model };
  refuseDynamicQuantization(model, options);
  for (const p of passes) {
    try {
      p.run(state);
      // the IR is checked after every pass that has it (linear in its size)
      if (state.graph !== undefined) verifyGraph(state.graph, p.name);
    } catch (e) {
      if (e instanceof NpuError && model.file !== undefined) e.at({ file: model.file });
      throw e;
    }
  }
  return state;
}

/** Compiles a quantized ONNX model to an NPU program (and the graph, tiling, plan and estimate behind it). */
export function compile(model: Model, options: CompileOptions): CompileResult {
  const s = runPasses(model, options);
  return {
    model: s.model,
    graph: need(s.graph, 'the NPU graph', 'compile'),
    placement: need(s.placement, 'placement', 'compile'),
    tiling: need(s.tiling, 'tiling', 'compile'),
    memory: need(s.memory, 'memory plan', 'compile'),
    estimate: need(s.estimate, 'estimate', 'compile'),
    ...(s.program !== undefined ? { program: s.program } : {}),
  };
}
