// Folds an inference BatchNormalization into the Conv or Gemm before it (per output channel, PyTorch fuse_conv_bn_weights).

import { tensor } from '../../common/tensor.js';
import { attrFloat, attrInt, type Model, type Node } from '../../onnx/graph.js';
import {
  consumersOf,
  editableCopy,
  floatConst,
  freshName,
  isGraphOutput,
  producersOf,
} from './graph-edit.js';

/**
 * BN(y)[c] = gamma[c] * (y[c] - mean[c]) / sqrt(var[c] + eps) + beta[c]. With f[c] = gamma[c] / sqrt(var[c] + eps):
 * W'[c] = W[c] * f[c] and b'[c] = (b[c] - mean[c]) * f[c] + beta[c] (quantization-semantics.md §7). Computed in
 * float64, stored as float32. Only folds when the Conv/Gemm output feeds the BN alone and every parameter is constant.
 */
export function foldBatchNorm(model: Model): { model: Model; folded: string[] } {
  const m = editableCopy(model);
  const g = m.graph;
  const folded: string[] = [];
  for (const bn of [...g.nodes]) {
    if (bn.opType !== 'BatchNormalization' || bn.domain !== '' || bn.outputs.length < 1) continue;
    if (bn.outputs.slice(1).some((o) => o !== '')) continue; // training-mode outputs
    const y = bn.inputs[0] ?? '';
    const prod = producersOf(g).get(y);
    if (prod === undefined || (prod.opType !== 'Conv' && prod.opType !== 'Gemm')) continue;
    if ((consumersOf(g).get(y) ?? []).length !== 1 || isGraphOutput(g, y)) continue;
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floatConst(g, bn.inputs[i]));
    const w = floatConst(g, prod.inputs[1]);
    if (!gamma || !beta || !mean || !variance || !w) continue;
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const channels = gamma.data.length;
    const f = Array.from(gamma.data, (gm, c) => gm / Math.sqrt(variance.data[c] + eps));
    const res =
      prod.opType === 'Conv' ? foldIntoConv(w, channels) : foldIntoGemm(prod, w, channels);
    if (res === undefined) continue;
    const oldBias = floatConst(g, prod.inputs[2]);
    if (
      (prod.inputs[2] ?? '') !== '' &&
      (oldBias === undefined || !biasFits(oldBias.data.length, channels))
    )
      continue;
    const betaGemm = prod.opType === 'Gemm' ? attrFloat(prod, 'beta', 1) : 1;
    const newW = new Float32Array(w.data.length);
    for (let i = 0; i < w.data.length; i++) newW[i] = w.data[i] * f[res.channelOf(i)];
    const newB = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const b =
        oldBias === undefined ? 0 : betaGemm * oldBias.data[oldBias.data.length === 1 ? 0 : c];
      newB[c] = (b - mean.data[c]) * f[c] + beta.data[c];
    }
    const wName = freshName(g, `${prod.inputs[1]}_bn_folded`);
    const bName = freshName(g, `${prod.name || prod.outputs[0]}_bias_bn_folded`);
    g.initializers.set(wName, { dtype: 'float32', shape: [...w.shape], data: newW });
    g.initializers.set(bName, tensor('float32', [channels], newB));
    prod.inputs[1] = wName;
    prod.inputs[2] = bName;
    if (prod.opType === 'Gemm') prod.attrs.beta = { type: 'float', value: 1 };
    prod.outputs[0] = bn.outputs[0];
    g.nodes = g.nodes.filter((n) => n !== bn);
    folded.push(bn.name);
  }
  return { model: folded.length > 0 ? dropUnused(m) : model, folded };
}

const biasFits = (n: number, channels: number): boolean => n === channels || n === 1;

interface Fold {
  channelOf: (flatIndex: number) => number;
}

function foldIntoConv(w: { shape: readonly number[] }, channels: number): Fold | undefined {
  if (w.shape[0] !== channels) return undefined;
  const per = w.shape.slice(1).reduce((a, b) => a * b, 1);
  return { channelOf: (i) => Math.floor(i / per) };
}

function foldIntoGemm(
  gemm: Node,
  w: { shape: readonly number[] },
  channels: number,
): Fold | undefined {
  if (w.shape.length !== 2 || attrInt(gemm, 'transA', 0) !== 0) return undefined;
  const transB = attrInt(gemm, 'transB', 0) !== 0;
  // Gemm output column c comes from row c of B^T: B[c, :] with transB, B[:, c] without
  if ((transB ? w.shape[0] : w.shape[1]) !== channels) return undefined;
  const cols = w.shape[1];
  return { channelOf: transB ? (i) => Math.floor(i / cols) : (i) => i % cols };
}

function dropUnused(m: Model): Model {
  const g = m.graph;
  const used = new Set<string>(g.outputs.map((o) => o.name));
  for (const n of g.nodes) for (const i of n.inputs) used.add(i);
  for (const name of [...g.initializers.keys()]) if (!used.has(name)) g.initializers.delete(name);
  return m;
}
