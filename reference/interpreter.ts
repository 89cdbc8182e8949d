// The reference interpreter: runs a (quantized) ONNX model exactly, node by node, in topological order.

import type { Tensor } from '../common/tensor.js';
import { NpuError, fail } from '../common/diagnostics.js';
import { shapeStr } from '../common/tensor.js';
import type { Model, Node } from '../onnx/graph.js';
import { foldConstants } from '../onnx/fold-constants.js';
import { topoSort } from '../onnx/topo.js';
import { kernelKey, type RequantMode } from './kernel.js';
import { KERNELS } from './ops/registry.js';
import { lowerQdq } from './qdq/lower-qdq.js';

export interface RunOptions {
  /** Requantization semantics; 'float' (onnxruntime CPU) by default. */
  mode?: RequantMode;
  /** Keep every intermediate value in the result (for sensitivity analysis and debugging). */
  keepIntermediates?: boolean;
  /** Skip QDQ lowering and run DequantizeLinear → float op → QuantizeLinear literally. */
  literalQdq?: boolean;
  /**
   * QDQ lowering turns DQ → Softmax / LayerNormalization / Gelu → Q into the I-BERT integer kernels
   * (npu.ref:ISoftmax / ILayerNorm / IGelu, integer-only like the NPU) instead of the float-exact ops.
   */
  integerKernels?: boolean;
}

/** A model prepared once (QDQ lowering, topological order) and run many times. */
export interface PreparedModel {
  model: Model;
  order: Node[];
}

export function prepareModel(model: Model, opts: RunOptions = {}): PreparedModel {
  try {
    // torch exports hide weights and shapes behind Constant/Cast/Shape subgraphs: fold them first
    const folded = foldConstants(model, KERNELS);
    const lowered =
      opts.literalQdq === true
        ? folded
        : lowerQdq(folded, { integerKernels: opts.integerKernels === true });
    return { model: lowered, order: topoSort(lowered.graph) };
  } catch (e) {
    if (e instanceof NpuError && model.file !== undefined) e.at({ file: model.file });
    throw e;
  }
}

function opsetOf(model: Model, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  const imp = model.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d);
  return imp?.version ?? 1;
}

function checkFeed(model: Model, name: string, t: Tensor): void {
  const info = model.graph.inputs.find((i) => i.name === name);
  if (info === undefined) return;
  if (info.dtype !== undefined && info.dtype !== t.dtype) {
    fail('wrongDType', [name, t.dtype, info.dtype], { file: model.file });
  }
  if (info.shape !== undefined) {
    const ok =
      info.shape.length === t.shape.length &&
      info.shape.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
    if (!ok) {
      fail(
        'shapeMismatch',
        [
          `input '${name}' has shape ${shapeStr(t.shape)}; the model expects [${info.shape.join(',')}]`,
        ],
        { file: model.file },
      );
    }
  }
}

/** Runs a prepared model; returns the graph outputs (and intermediates if asked). */
export function runPrepared(
  prepared: PreparedModel,
  feeds: Record<string, Tensor>,
  opts: RunOptions = {},
): Record<string, Tensor> {
  const { model, order } = prepared;
  const mode = opts.mode ?? 'float';
  const values = new Map<string, Tensor>(model.graph.initializers);
  const known = new Set(model.graph.inputs.map((i) => i.name));
  for (const [name, t] of Object.entries(feeds)) {
    if (!known.has(name)) {
      fail('unknownGraphInput', [name, [...known].join(', ')], { file: model.file });
    }
    checkFeed(model, name, t);
    values.set(name, t);
  }
  for (const input of model.graph.inputs) {
    if (!values.has(input.name)) fail('missingGraphInput', [input.name], { file: model.file });
  }

  // free each value after its last use, so large models do not hold every activation
  const lastUse = new Map<string, number>();
  order.forEach((n, i) => {
    n.inputs.forEach((x) => lastUse.set(x, i));
  });
  const outputs = new Set(model.graph.outputs.map((o) => o.name));

  order.forEach((node, step) => {
    const key = kernelKey(node.domain, node.opType);
    const kernel = KERNELS[key];
    const where = { file: model.file, node: node.name, opType: node.opType };
    if (kernel === undefined) fail('unknownOp', [node.opType, node.domain || 'ai.onnx'], where);
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const v = values.get(name);
      if (v === undefined) fail('missingInput', [name], where);
      return v;
    });
    let results: Tensor[];
    try {
      results = kernel(inputs, { node, mode, opset: opsetOf(model, node.domain) });
    } catch (e) {
      if (e instanceof NpuError) throw e.at(where);
      throw e;
    }
    node.outputs.forEach((name, i) => {
      const r = results[i];
      if (name !== '' && r !== undefined) values.set(name, r);
    });
    if (opts.keepIntermediates !== true) {
      for (const name of node.inputs) {
        if (
          lastUse.get(name) === step &&
          !outputs.has(name) &&
          !model.graph.initializers.has(name)
        ) {
          values.delete(name);
        }
      }
    }
  });

  if (opts.keepIntermediates === true) return Object.fromEntries(values);
  const result: Record<string, Tensor> = {};
  for (const o of model.graph.outputs) {
    const v = values.get(o.name);
    if (v === undefined) fail('missingInput', [o.name], { file: model.file });
    result[o.name] = v;
  }
  return result;
}

/** Runs a model once with the given feeds (by graph input name). */
export function runModel(
  model: Model,
  feeds: Record<string, Tensor>,
  opts: RunOptions = {},
): Record<string, Tensor> {
  return runPrepared(prepareModel(model, opts), feeds, opts);
}
