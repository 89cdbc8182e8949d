// Random small quantized ONNX graphs (chains and residual DAGs, QDQ or QOperator) for the end-to-end tests.

import fc from 'fast-check';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { randomFloatTensor, randomIntTensor } from '../helpers/arbitraries.js';
import type { ActFn, Format, OutQ, Q8, QT, StepSpec } from './random-graph-emit.js';
import { GraphWriter } from './random-graph-emit.js';
import { OPS } from './random-graph-ops.js';

export interface GraphSpec {
  format: Format;
  dtype: Q8;
  /** Float input → QuantizeLinear and DequantizeLinear → float outputs; else the graph reads and writes codes. */
  floatIo: boolean;
  /** With float I/O, the second output (if any) stays integer. */
  mixedOut: boolean;
  /** Also output the first intermediate that something else reads. */
  extraOut: boolean;
  /** Record the shapes of intermediates as value_info (needed to lower QDQ MatMul + Add bias to QGemm). */
  valueInfo: boolean;
  c: number;
  h: number;
  w: number;
  inQ: OutQ;
  steps: StepSpec[];
  seed: number;
}

/** One graph output: its ONNX name, and the integer tensor whose codes it carries. */
export interface GraphOutput {
  name: string;
  codes: string;
  dequantized: boolean;
  scale: number;
  zp: number;
}

export interface BuiltGraph {
  model: Model;
  /** The activation type of the whole graph. */
  dtype: Q8;
  feeds: Record<string, Tensor>;
  outputs: GraphOutput[];
  /** Op kinds and patterns present (for the coverage counters). */
  features: Set<string>;
  /** Every integer activation of the graph, in the order they are computed. */
  tensors: string[];
}

const outQArb: fc.Arbitrary<OutQ> = fc.record({
  u: fc.double({ min: -1.5, max: 1, noNaN: true, noDefaultInfinity: true }),
  zpOff: fc.integer({ min: -60, max: 60 }),
  // zero point at qmin (the usual choice after Relu) on a quarter of the tensors: signed values saturate there
  zpMin: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
});

const w = (weight: number, op: StepSpec['op']) => ({ weight, arbitrary: fc.constant(op) });

export const stepArb: fc.Arbitrary<StepSpec> = fc.record({
  op: fc.oneof(
    w(6, 'conv'),
    w(2, 'gemm'),
    w(1, 'matmul'),
    w(3, 'add'),
    w(2, 'mul'),
    w(2, 'concat'),
    w(1, 'maxpool'),
    w(1, 'avgpool'),
    w(1, 'gap'),
    w(1, 'resize'),
    w(1, 'pad'),
    w(1, 'transpose'),
    w(1, 'slice'),
    w(1, 'reshape'),
    w(3, 'act'),
  ),
  src: fc.nat(4),
  other: fc.nat(4),
  k: fc.integer({ min: 1, max: 5 }),
  k2: fc.integer({ min: 1, max: 5 }),
  square: fc.boolean(),
  stride: fc.integer({ min: 1, max: 2 }),
  dil: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 2 }),
  groups: fc.constantFrom('one' as const, 'two' as const, 'dw' as const),
  outC: fc.integer({ min: 1, max: 12 }),
  act: fc.constantFrom<ActFn | 'none'>(
    'none',
    'Relu',
    'Relu6',
    'LeakyRelu',
    'Sigmoid',
    'HardSwish',
    'Tanh',
  ),
  variant: fc.nat(11),
  flag: fc.boolean(),
  flag2: fc.boolean(),
  qSame: fc.boolean(),
  out: outQArb,
  seed: fc.nat(1_000_000),
});

export const graphSpecArb: fc.Arbitrary<GraphSpec> = fc.record({
  format: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Format>('qdq') },
    { weight: 1, arbitrary: fc.constant<Format>('qop') },
  ),
  dtype: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Q8>('int8') },
    { weight: 1, arbitrary: fc.constant<Q8>('uint8') },
  ),
  floatIo: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
  mixedOut: fc.boolean(),
  extraOut: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
  valueInfo: fc.boolean(),
  c: fc.integer({ min: 1, max: 12 }),
  h: fc.integer({ min: 1, max: 12 }),
  w: fc.integer({ min: 1, max: 12 }),
  inQ: outQArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
  seed: fc.nat(1_000_000),
});

/**
 * Builds the model of a spec. `mode` only matters where the NPU's fixed-point path needs a constraint the float
 * path does not (average pool with equal in/out parameters); everything else is the same model in both modes.
 */
export function buildGraph(spec: GraphSpec, mode: 'float' | 'fixed'): BuiltGraph {
  const g = new GraphWriter(spec.format, spec.dtype, spec.valueInfo);
  g.features
    .add(spec.format)
    .add(spec.dtype)
    .add(spec.floatIo ? 'float-io' : 'raw-io');
  const shape = [1, spec.c, spec.h, spec.w];
  const [lo, hi] = INT_RANGE[spec.dtype];
  const zp = Math.min(hi - 8, Math.max(lo + 8, g.zpOf({ ...spec.inQ, zpMin: false })));
  const scale = Math.fround(2 ** (-6 + 2 * spec.inQ.u));
  const rms = scale * Math.sqrt(74 * 74 + ((lo + hi) / 2 - zp) ** 2);
  const input = g.define('x_q', shape, scale, zp, rms);
  let feeds: Record<string, Tensor>;
  if (spec.floatIo) {
    g.b.input('x', 'float32', shape);
    g.q('x', input);
    // a few codes beyond the range saturate in QuantizeLinear
    feeds = {
      x: randomFloatTensor(shape, spec.seed, (lo - zp - 3) * scale, (hi - zp + 3) * scale),
    };
  } else {
    g.b.input('x_q', spec.dtype, shape);
    feeds = { x_q: randomIntTensor(spec.dtype, shape, spec.seed) };
  }
  for (const step of spec.steps) OPS[step.op](g, step, mode);

  const sinks = g.tensors.filter((t) => !g.used.has(t.name));
  const last = g.tensors[g.tensors.length - 1];
  const outs: QT[] = [...sinks];
  if (!outs.includes(last)) outs.push(last);
  if (spec.extraOut) {
    const extra = g.tensors.find((t) => t !== input && g.used.has(t.name));
    if (extra !== undefined) {
      outs.push(extra);
      g.features.add('output-also-read');
    }
  }
  if (outs.length > 1) g.features.add('multi-output');
  const outputs = outs.map((t, i): GraphOutput => {
    const dequantized = spec.floatIo && !(i === 1 && spec.mixedOut);
    if (!dequantized) {
      g.b.output(t.name, spec.dtype, t.shape);
      return { name: t.name, codes: t.name, dequantized, scale: t.scale, zp: t.zp };
    }
    const name = `y${i}`;
    g.b.node('DequantizeLinear', [t.name, `${t.name}_s`, `${t.name}_z`], [name]);
    g.b.output(name, 'float32', t.shape);
    return { name, codes: t.name, dequantized, scale: t.scale, zp: t.zp };
  });
  const model = g.b.build();
  // the QOperator nodes written (QDQ groups become the same ops inside the compiler and the reference)
  for (const n of model.graph.nodes)
    if (/^Q(Linear|Gemm)/.test(n.opType)) g.features.add(`node:${n.opType}`);
  if (spec.valueInfo) {
    const io = new Set([...model.graph.inputs, ...model.graph.outputs].map((v) => v.name));
    for (const t of g.tensors)
      if (!io.has(t.name))
        model.graph.valueInfo.set(t.name, { name: t.name, dtype: spec.dtype, shape: t.shape });
  }
  const tensors = g.tensors.map((t) => t.name);
  return { model, dtype: spec.dtype, feeds, outputs, features: g.features, tensors };
}

/** A readable listing of a model's nodes (for failure reports). */
export function describeModel(m: Model): string {
  const init = m.graph.initializers;
  const lines = m.graph.inputs.map((i) => `input ${i.name}: ${i.dtype}[${i.shape?.join(',')}]`);
  const attr = (v: unknown): string => {
    const a = v as { type: string; value: unknown };
    return a.type === 'tensor' ? 'tensor' : JSON.stringify(a.value);
  };
  for (const n of m.graph.nodes) {
    const ins = n.inputs.map((i) => {
      const t = init.get(i);
      if (t === undefined) return i;
      return t.data.length <= 2
        ? Array.from(t.data as ArrayLike<number>, Number).join('|')
        : `${i}:${t.dtype}[${t.shape.join(',')}]`;
    });
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => `${k}=${attr(v)}`)
      .join(' ');
    lines.push(`${n.opType}(${ins.join(', ')}) -> ${n.outputs.join(', ')} ${attrs}`.trimEnd());
  }
  lines.push(`outputs: ${m.graph.outputs.map((o) => o.name).join(', ')}`);
  return lines.join('\n');
}
