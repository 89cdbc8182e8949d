// Writes the QDQ model like onnxruntime quantize_static: Q -> DQ on activations, int8 weights and int32 biases -> DQ.

import { fail } from '../../common/diagnostics.js';
import { tensor, type Tensor } from '../../common/tensor.js';
import { attrInt, defaultOpset, type Graph, type Model, type Node } from '../../onnx/graph.js';
import { topoSort } from '../../onnx/topo.js';
import type { FusedActivation } from '../prepare/fuse-activation.js';
import { editableCopy, floatConst } from '../prepare/graph-edit.js';
import { planActivations, type ActivationEntry } from './activation-params.js';
import type { QParams } from './qparams.js';
import { quantizeBias, quantizeWeight } from './weights.js';

export interface QdqOptions {
  symmetric: boolean;
  perChannel: boolean;
  /** Names of nodes kept in float: float weights, and float outputs unless a quantized node reads them. */
  exclude?: ReadonlySet<string>;
}

export interface WeightEntry {
  name: string;
  node: string;
  axis: number | null;
  channels: number;
  widenedForBias: number;
}

export interface QdqResult {
  model: Model;
  activations: ActivationEntry[];
  weights: WeightEntry[];
  /** Relu / Clip nodes folded into the preceding Conv / Gemm's output range. */
  removedActivations: string[];
}

/** Float inputs that are parameters, not data: never quantized. */
const NON_DATA: Readonly<Record<string, readonly number[]>> = {
  Clip: [1, 2],
  Resize: [1, 2, 3],
  Pad: [1, 2, 3],
  LayerNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  BatchNormalization: [1, 2, 3, 4],
};

/** Weight axis of each conv-like op's input 1 (per output channel), or undefined for per-tensor. */
function weightAxis(n: Node, w: Tensor, perChannel: boolean, opset: number): number | undefined {
  if (!perChannel || opset < 13) return undefined;
  switch (n.opType) {
    case 'Conv':
      return 0;
    case 'ConvTranspose':
      return attrInt(n, 'group', 1) === 1 ? 1 : undefined;
    case 'Gemm':
      return w.shape.length === 2 ? (attrInt(n, 'transB', 0) !== 0 ? 0 : 1) : undefined;
    case 'MatMul':
      return w.shape.length === 2 ? 1 : undefined;
    default:
      return undefined;
  }
}

const CONV_LIKE = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const HAS_BIAS = new Set(['Conv', 'ConvTranspose', 'Gemm']);

export function writeQdq(
  source: Model,
  fused: readonly FusedActivation[],
  ranges: ReadonlyMap<string, readonly [number, number]>,
  opts: QdqOptions,
): QdqResult {
  const m = editableCopy(source);
  const g = m.graph;
  const exclude = opts.exclude ?? new Set<string>();
  for (const name of exclude) {
    if (!g.nodes.some((n) => n.name === name)) {
      fail(
        'badArgument',
        [`cannot exclude '${name}': the prepared graph has no node of that name`],
        {
          ...(source.file !== undefined ? { file: source.file } : {}),
        },
      );
    }
  }
  const opset = defaultOpset(m);
  const copyOf = new Map(source.graph.nodes.map((n, i) => [n, g.nodes[i]]));
  const byIndex = (n: Node): Node => copyOf.get(n) ?? n;

  const fusedCopies = fused.map((f) => ({
    ...f,
    producer: byIndex(f.producer),
    activation: byIndex(f.activation),
  }));
  const { params, entries, removedActivations } = planActivations(
    g,
    fusedCopies,
    ranges,
    opts.symmetric,
    exclude,
  );

  // 3. emit nodes with Q/DQ pairs
  const used = new Set<string>([...g.initializers.keys(), ...g.inputs.map((i) => i.name)]);
  for (const n of g.nodes) for (const o of n.outputs) used.add(o);
  const uniq = (base: string): string => {
    let s = base;
    for (let k = 1; used.has(s); k++) s = `${base}_${k}`;
    used.add(s);
    return s;
  };
  const out: Node[] = [];
  const inits = g.initializers;
  const dqOf = new Map<string, string>();
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const addInit = (base: string, t: Tensor): string => {
    const name = uniq(base);
    inits.set(name, t);
    return name;
  };
  const dqNode = (x: string, scale: string, zp: string, y: string, axis?: number): Node => ({
    name: uniq(`${x}_DequantizeLinear`),
    opType: 'DequantizeLinear',
    domain: '',
    inputs: [x, scale, zp],
    outputs: [y],
    attrs: axis === undefined ? {} : { axis: { type: 'int', value: axis } },
  });
  const emitPair = (t: string, producerOut?: { node: Node; index: number }): void => {
    const p = params.get(t);
    if (p === undefined) return;
    const scale = addInit(`${t}_scale`, tensor('float32', [], [p.scale]));
    const zp = addInit(`${t}_zero_point`, tensor('int8', [], [p.zeroPoint]));
    let qIn = t;
    let dqOut = uniq(`${t}_DequantizeLinear_Output`);
    if (graphOutputs.has(t) && producerOut !== undefined) {
      qIn = uniq(`${t}_QuantizeLinearInput`);
      producerOut.node.outputs[producerOut.index] = qIn;
      dqOut = t;
    }
    const qOut = uniq(`${t}_QuantizeLinear_Output`);
    out.push({
      name: uniq(`${t}_QuantizeLinear`),
      opType: 'QuantizeLinear',
      domain: '',
      inputs: [qIn, scale, zp],
      outputs: [qOut],
      attrs: {},
    });
    out.push(dqNode(qOut, scale, zp, dqOut));
    dqOf.set(t, dqOut);
  };
  const weights: WeightEntry[] = [];
  const constDq = new Map<string, string>();
  /** A float constant operand of a non-conv op, quantized like a weight (symmetric, per tensor). */
  const constOperand = (name: string, w: Tensor<'float32'>, node: Node): string => {
    const cached = constDq.get(name);
    if (cached !== undefined) return cached;
    const qw = quantizeWeight(w, undefined);
    const qName = addInit(`${name}_quantized`, qw.q);
    const s = addInit(`${name}_scale`, tensor('float32', [], qw.scales));
    const z = addInit(`${name}_zero_point`, tensor('int8', [], [0]));
    const y = uniq(`${name}_DequantizeLinear_Output`);
    out.push(dqNode(qName, s, z, y));
    constDq.set(name, y);
    weights.push({ name, node: node.name, axis: null, channels: 1, widenedForBias: 0 });
    return y;
  };

  for (const i of g.inputs) emitPair(i.name);
  for (const n of topoSort(g)) {
    const nonData = NON_DATA[n.opType] ?? [];
    const xParams = params.get(n.inputs[0] ?? '');
    const w = CONV_LIKE.has(n.opType) ? floatConst(g, n.inputs[1]) : undefined;
    let handled = new Set<number>();
    const float = exclude.has(n.name);
    if (w !== undefined && xParams !== undefined && !float) {
      handled = quantizeConvLike(n, w, xParams);
    }
    const inputs = [...n.inputs];
    inputs.forEach((name, k) => {
      if (name === '' || handled.has(k) || nonData.includes(k)) return;
      // a bias that cannot be int32 (input not quantized, odd shape) stays float rather than int8
      const isBias = HAS_BIAS.has(n.opType) && k === 2;
      const dq = dqOf.get(name);
      if (dq !== undefined) inputs[k] = dq;
      else {
        const c = floatConst(g, name);
        if (c !== undefined && n.domain === '' && !isBias && !float)
          inputs[k] = constOperand(name, c, n);
      }
    });
    n.inputs = inputs;
    out.push(n);
    n.outputs.forEach((o, index) => {
      if (o !== '') emitPair(o, { node: n, index });
    });
  }

  function quantizeConvLike(n: Node, w: Tensor<'float32'>, x: QParams): Set<number> {
    const axis = weightAxis(n, w, opts.perChannel, opset);
    const biasName = HAS_BIAS.has(n.opType) ? (n.inputs[2] ?? '') : '';
    const b = floatConst(g, biasName);
    const channels = axis === undefined ? undefined : w.shape[axis];
    const biasOk =
      b !== undefined &&
      b.shape.length <= 1 &&
      (channels === undefined || b.data.length === channels || b.data.length === 1);
    const qw = quantizeWeight(
      w,
      axis,
      biasOk ? { values: b.data, inputScale: x.scale } : undefined,
    );
    const wName = n.inputs[1];
    const qName = addInit(`${wName}_quantized`, qw.q);
    const shape = axis === undefined ? [] : [qw.scales.length];
    const s = addInit(`${wName}_scale`, { dtype: 'float32', shape, data: qw.scales });
    const z = addInit(
      `${wName}_zero_point`,
      tensor('int8', shape, new Array<number>(qw.scales.length).fill(0)),
    );
    const wOut = uniq(`${wName}_DequantizeLinear_Output`);
    out.push(dqNode(qName, s, z, wOut, axis));
    n.inputs[1] = wOut;
    weights.push({
      name: wName,
      node: n.name,
      axis: axis ?? null,
      channels: qw.scales.length,
      widenedForBias: qw.widened,
    });
    const done = new Set([1]);
    if (biasOk) {
      const nOut = channels ?? (b.data.length === 1 ? 1 : b.data.length);
      const qb = quantizeBias(b.data, x.scale, qw.scales, nOut);
      const bq = addInit(`${biasName}_quantized`, qb.q);
      const bShape = qb.scales.length === 1 && axis === undefined ? [] : [qb.scales.length];
      const bs = addInit(`${biasName}_quantized_scale`, {
        dtype: 'float32',
        shape: bShape,
        data: qb.scales,
      });
      const bz = addInit(
        `${biasName}_quantized_zero_point`,
        tensor('int32', bShape, new Array<number>(qb.scales.length).fill(0)),
      );
      const bOut = uniq(`${biasName}_quantized_DequantizeLinear_Output`);
      out.push(dqNode(bq, bs, bz, bOut, bShape.length === 1 ? 0 : undefined));
      n.inputs[2] = bOut;
      done.add(2);
    }
    return done;
  }

  g.nodes = out;
  g.valueInfo = new Map();
  dropUnused(g);
  const activations = [...entries.values()].filter((e) => dqOf.has(e.name));
  return { model: m, activations, weights, removedActivations };
}

function dropUnused(g: Graph): void {
  const usedNames = new Set<string>(g.outputs.map((o) => o.name));
  for (const n of g.nodes) for (const i of n.inputs) usedNames.add(i);
  for (const name of [...g.initializers.keys()])
    if (!usedNames.has(name)) g.initializers.delete(name);
}
