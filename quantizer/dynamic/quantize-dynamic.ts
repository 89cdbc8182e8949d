// Dynamic int8 quantization (onnxruntime quantize_dynamic): int8 weights offline, activations quantized at run time.

import { fail } from '../../common/diagnostics.js';
import { tensor, type Tensor } from '../../common/tensor.js';
import {
  attrFloat,
  attrInt,
  defaultOpset,
  type Graph,
  type Model,
  type Node,
} from '../../onnx/graph.js';
import { topoSort } from '../../onnx/topo.js';
import { editableCopy, floatConst } from '../prepare/graph-edit.js';
import type { PreparedGraph } from '../prepare/prepare-graph.js';
import { prepareForQuantization } from '../quantize-model.js';
import {
  gemmWeight,
  quantizeDynamicWeight,
  scaledBias,
  type DynamicWeight,
} from './dynamic-weights.js';

export interface DynamicQuantizeOptions {
  /** Weights per tensor instead of per output channel / column. */
  perTensorWeights?: boolean;
  /** Node names (in the prepared graph) kept in float. */
  exclude?: readonly string[];
}

export interface DynamicNodeEntry {
  node: string;
  opType: 'MatMul' | 'Gemm' | 'Conv';
  /** The float activation quantized at run time by DynamicQuantizeLinear. */
  activation: string;
  weight: string;
  /** Scales of the int8 weight: per column (MatMul, Gemm), per output channel (Conv), or 1. */
  channels: number;
}

export interface DynamicQuantizeReport {
  mode: 'dynamic';
  perChannelWeights: boolean;
  excluded: string[];
  prepare: PreparedGraph['log'];
  quantized: DynamicNodeEntry[];
  /** MatMul / Gemm / Conv nodes left in float, with the reason. */
  skipped: { node: string; opType: string; reason: string }[];
  /** Tensors that one DynamicQuantizeLinear each quantizes at run time (shared by all their readers). */
  dynamicActivations: string[];
}

export interface DynamicQuantizeResult {
  model: Model;
  report: DynamicQuantizeReport;
}

/** DynamicQuantizeLinear is opset 11; MatMulInteger / ConvInteger opset 10. */
export const DYNAMIC_MIN_OPSET = 11;
const FLOAT_TYPE = 1; // TensorProto.FLOAT, Cast's `to`
const INTEGER_OPS = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger']);

interface Plan {
  kind: 'matmul' | 'conv';
  opType: DynamicNodeEntry['opType'];
  w: Tensor<'float32'>;
  /** Float addend after the scaling (Conv bias, Gemm C): an initializer value, or an existing tensor's name. */
  bias?: Tensor<'float32'> | string;
}

/** How a node is quantized, or why it stays float. */
function planOf(g: Graph, n: Node): Plan | string {
  const w = floatConst(g, n.inputs[1]);
  if (floatConst(g, n.inputs[0]) !== undefined) return 'input A is a constant';
  if (w === undefined) return 'the weight (input 1) is not a float constant';
  if (n.opType === 'MatMul') return { kind: 'matmul', opType: 'MatMul', w };
  if (n.opType === 'Conv') {
    const b = n.inputs[2] ?? '';
    const bias = floatConst(g, b);
    if (b !== '' && bias === undefined) return 'the bias is not a float constant';
    const m = w.shape[0];
    return {
      kind: 'conv',
      opType: 'Conv',
      w,
      ...(bias === undefined
        ? {}
        : { bias: { ...bias, shape: [m, ...w.shape.slice(2).map(() => 1)] } }),
    };
  }
  // Gemm = MatMul(A, alpha·B') + beta·C
  if (attrInt(n, 'transA', 0) !== 0) return 'transA = 1';
  if (w.shape.length !== 2) return 'B is not 2-D';
  const wk = gemmWeight(w, attrInt(n, 'transB', 0) !== 0, attrFloat(n, 'alpha', 1));
  const plan: Plan = { kind: 'matmul', opType: 'Gemm', w: wk };
  const c = n.inputs[2] ?? '';
  if (c === '') return plan;
  const cConst = floatConst(g, c);
  const beta = attrFloat(n, 'beta', 1);
  if (cConst !== undefined) return { ...plan, bias: scaledBias(cConst, beta) };
  if (Math.fround(beta) !== 1) return 'C is not a constant and beta != 1';
  return { ...plan, bias: c };
}

/** The quantized graph of an already prepared float model (see quantizeDynamic). */
export function writeDynamic(
  prepared: PreparedGraph,
  options: DynamicQuantizeOptions = {},
): DynamicQuantizeResult {
  const source = prepared.model;
  const file = source.file !== undefined ? { file: source.file } : {};
  const opset = defaultOpset(source);
  if (opset < DYNAMIC_MIN_OPSET)
    fail(
      'unsupported',
      [
        `--dynamic needs opset ${DYNAMIC_MIN_OPSET} or later (DynamicQuantizeLinear); the model is opset ${opset}`,
      ],
      file,
    );
  const exclude = new Set(options.exclude ?? []);
  for (const name of exclude)
    if (!source.graph.nodes.some((n) => n.name === name))
      fail(
        'badArgument',
        [`cannot exclude '${name}': the prepared graph has no node of that name`],
        file,
      );
  const perChannel = options.perTensorWeights !== true;
  const m = editableCopy(source);
  const g = m.graph;
  const used = new Set<string>([...g.initializers.keys(), ...g.inputs.map((i) => i.name)]);
  for (const n of g.nodes) for (const o of [...n.outputs, n.name]) used.add(o);
  const uniq = (base: string): string => {
    let s = base;
    for (let k = 1; used.has(s); k++) s = `${base}_${k}`;
    used.add(s);
    return s;
  };
  const addInit = (base: string, t: Tensor): string => {
    const name = uniq(base);
    g.initializers.set(name, t);
    return name;
  };
  const node = (
    opType: string,
    inputs: string[],
    outputs: string[],
    name: string,
    attrs: Node['attrs'] = {},
  ): Node => ({
    name: uniq(name),
    opType,
    domain: '',
    inputs,
    outputs,
    attrs,
  });

  const out: Node[] = [];
  const report: DynamicQuantizeReport = {
    mode: 'dynamic',
    perChannelWeights: perChannel,
    excluded: [...exclude],
    prepare: prepared.log,
    quantized: [],
    skipped: [],
    dynamicActivations: [],
  };
  // one DynamicQuantizeLinear per activation, emitted before its first quantized reader (onnxruntime's naming)
  const dql = new Map<string, { q: string; scale: string; zp: string }>();
  const dynamicInput = (x: string): { q: string; scale: string; zp: string } => {
    const have = dql.get(x);
    if (have !== undefined) return have;
    const r = { q: uniq(`${x}_quantized`), scale: uniq(`${x}_scale`), zp: uniq(`${x}_zero_point`) };
    out.push(node('DynamicQuantizeLinear', [x], [r.q, r.scale, r.zp], `${x}_QuantizeLinear`));
    dql.set(x, r);
    report.dynamicActivations.push(x);
    return r;
  };
  const weightInits = (
    name: string,
    dw: DynamicWeight,
  ): { q: string; scale: string; zp: string } => ({
    q: addInit(`${name}_quantized`, dw.q.q),
    scale: addInit(`${name}_scale`, { dtype: 'float32', shape: dw.scaleShape, data: dw.q.scales }),
    zp: addInit(
      `${name}_zero_point`,
      tensor(
        'int8',
        dw.zpShape,
        new Array<number>(dw.zpShape.length === 0 ? 1 : dw.zpShape[0]).fill(0),
      ),
    ),
  });

  for (const n of topoSort(g)) {
    if (!['MatMul', 'Gemm', 'Conv'].includes(n.opType) || n.domain !== '') {
      out.push(n);
      continue;
    }
    const plan = exclude.has(n.name) ? 'excluded' : planOf(g, n);
    if (typeof plan === 'string') {
      report.skipped.push({ node: n.name, opType: n.opType, reason: plan });
      out.push(n);
      continue;
    }
    const x = dynamicInput(n.inputs[0]);
    const dw = quantizeDynamicWeight(plan.w, plan.kind, perChannel);
    const w = weightInits(n.inputs[1], dw);
    const y = n.outputs[0];
    const base = n.name !== '' ? `${n.name}_quant` : uniq(`${y}_quant`);
    const intOut = uniq(`${y}_output_quantized`);
    const attrs = plan.kind === 'conv' ? { ...n.attrs } : {};
    out.push(
      node(
        plan.kind === 'conv' ? 'ConvInteger' : 'MatMulInteger',
        [x.q, w.q, x.zp, w.zp],
        [intOut],
        base,
        attrs,
      ),
    );
    const cast = uniq(`${intOut}_cast_output`);
    out.push(
      node('Cast', [intOut], [cast], `${intOut}_cast`, { to: { type: 'int', value: FLOAT_TYPE } }),
    );
    const scales = uniq(`${base}_scales_mul:0`);
    out.push(node('Mul', [x.scale, w.scale], [scales], `${base}_scales_mul`));
    const scaled = plan.bias === undefined ? y : uniq(`${y}_quant_scaled_output`);
    out.push(node('Mul', [cast, scales], [scaled], `${base}_output_scale_mul`));
    if (plan.bias !== undefined) {
      const b =
        typeof plan.bias === 'string' ? plan.bias : addInit(`${n.inputs[2]}_reshaped`, plan.bias);
      out.push(node('Add', [scaled, b], [y], `${y}_bias_add`));
    }
    report.quantized.push({
      node: n.name,
      opType: plan.opType,
      activation: n.inputs[0],
      weight: n.inputs[1],
      channels: dw.q.scales.length,
    });
  }
  g.nodes = out;
  g.valueInfo = new Map();
  const read = new Set<string>(g.outputs.map((o) => o.name));
  for (const n of g.nodes) for (const i of n.inputs) read.add(i);
  for (const name of [...g.initializers.keys()]) if (!read.has(name)) g.initializers.delete(name);
  return { model: m, report };
}

/**
 * Dynamic int8 quantization as onnxruntime's quantize_dynamic writes it: every MatMul / Gemm with a constant
 * weight and every Conv becomes DynamicQuantizeLinear(x) (uint8, range observed at run time) → MatMulInteger /
 * ConvInteger with int8 weights → Cast to float → Mul by (x_scale · w_scale) → Add of the float bias. Gemm is
 * written as MatMul + Add (quantize_dynamic leaves it float). No calibration data.
 */
export function quantizeDynamic(
  model: Model,
  options: DynamicQuantizeOptions = {},
): DynamicQuantizeResult {
  // prepareForQuantization refuses QDQ / QOperator models; the integer ops of a dynamic model are refused here
  const q = model.graph.nodes.find((n) => INTEGER_OPS.has(n.opType) && n.domain === '');
  if (q !== undefined)
    fail('unsupported', ['the model is already quantized'], {
      ...(model.file !== undefined ? { file: model.file } : {}),
      node: q.name,
      opType: q.opType,
    });
  return writeDynamic(prepareForQuantization(model), options);
}
