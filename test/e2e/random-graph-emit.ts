// The node writer of the random-graph generator: one method per NPU-supported op, in QDQ or QOperator form.

import seedrandom from 'seedrandom';
import { INT_RANGE, tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

export type Q8 = 'int8' | 'uint8';
export type Format = 'qdq' | 'qop';
export type ActFn = 'Relu' | 'Relu6' | 'LeakyRelu' | 'Sigmoid' | 'HardSwish' | 'Tanh';

/** An integer activation of the graph being built: its codes, shape, quantization and a size estimate. */
export interface QT {
  name: string;
  shape: number[];
  scale: number;
  zp: number;
  /** Root mean square of the real values (a guess that keeps output scales in a useful range). */
  rms: number;
}

/** How an op chooses its output quantization: a scale factor 2^u around the estimate, and a zero point. */
export interface OutQ {
  u: number;
  zpOff: number;
  zpMin: boolean;
}

/** One random op. Every field is a raw choice that the op interprets so the result is always a valid graph. */
export interface StepSpec {
  op:
    | 'conv'
    | 'gemm'
    | 'matmul'
    | 'add'
    | 'mul'
    | 'concat'
    | 'maxpool'
    | 'avgpool'
    | 'gap'
    | 'resize'
    | 'pad'
    | 'transpose'
    | 'slice'
    | 'reshape'
    | 'act';
  /** Which earlier tensor to read: 0 = the newest, 1 = the one before, ... */
  src: number;
  /** Which partner of a binary op / concat among those of a fitting shape. */
  other: number;
  k: number;
  k2: number;
  square: boolean;
  stride: number;
  dil: number;
  pad: number;
  groups: 'one' | 'two' | 'dw';
  outC: number;
  act: ActFn | 'none';
  /** Op-specific variant (broadcast kind, permutation, gemm flavour, ...). */
  variant: number;
  flag: boolean;
  flag2: boolean;
  /** Data movement and pools: keep the input's quantization (no requantizing table). */
  qSame: boolean;
  out: OutQ;
  seed: number;
}

const f32 = Math.fround;
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

export class GraphWriter {
  readonly b = new ModelBuilder({ opset: 17 });
  readonly features = new Set<string>();
  readonly tensors: QT[] = [];
  /** Names of integer tensors some node reads. */
  readonly used = new Set<string>();
  private n = 0;
  private readonly dqs = new Map<string, string>();
  readonly format: Format;
  readonly dtype: Q8;
  /** The model will carry value_info (shapes of intermediates), as quantizers write it. */
  readonly valueInfo: boolean;

  constructor(format: Format, dtype: Q8, valueInfo: boolean) {
    this.format = format;
    this.dtype = dtype;
    this.valueInfo = valueInfo;
  }

  fresh(base: string): string {
    return `${base}${this.n++}`;
  }

  get qmin(): number {
    return INT_RANGE[this.dtype][0];
  }

  get qmax(): number {
    return INT_RANGE[this.dtype][1];
  }

  zpOf(q: OutQ): number {
    if (q.zpMin) return this.qmin;
    return (this.dtype === 'int8' ? 0 : 128) + q.zpOff;
  }

  /** Registers an integer tensor with its scale / zp initializers `<name>_s`, `<name>_z`. */
  define(name: string, shape: number[], scale: number, zp: number, rms: number): QT {
    const t: QT = { name, shape, scale: f32(scale), zp, rms };
    this.b.scalar(`${name}_s`, 'float32', t.scale).scalar(`${name}_z`, this.dtype, zp);
    this.tensors.push(t);
    return t;
  }

  /** A tensor defined with scale rms · 2^u / 40 (±3 rms over ±127 codes at u = 0). */
  defineFor(name: string, shape: number[], rms: number, q: OutQ): QT {
    const scale = Math.max((rms * 2 ** q.u) / 40, 1e-6);
    const zp = this.zpOf(q);
    return this.define(name, shape, scale, zp, Math.min(rms, scale * 90));
  }

  /** The same quantization as `t` for a new tensor (data movement that keeps codes). */
  defineLike(name: string, shape: number[], t: QT): QT {
    return this.define(name, shape, t.scale, t.zp, t.rms);
  }

  qargs(t: QT): string[] {
    this.used.add(t.name);
    return [t.name, `${t.name}_s`, `${t.name}_z`];
  }

  /** The float value DequantizeLinear(t) (one shared DQ per tensor, as onnxruntime's quantizer writes). */
  dq(t: QT): string {
    this.used.add(t.name);
    let f = this.dqs.get(t.name);
    if (f === undefined) {
      f = `${t.name}_f`;
      this.b.node('DequantizeLinear', [t.name, `${t.name}_s`, `${t.name}_z`], [f]);
      this.dqs.set(t.name, f);
    }
    return f;
  }

  /** QuantizeLinear of float `src` into the (already defined) integer tensor `y`. */
  q(src: string, y: QT): QT {
    this.b.node('QuantizeLinear', [src, `${y.name}_s`, `${y.name}_z`], [y.name]);
    return y;
  }

  /** int8 weights `[shape]` as an initializer, per-tensor or per-channel scales along `axis`. */
  weight(
    shape: number[],
    axis: number,
    perChannel: boolean,
    seed: number,
  ): { name: string; scales: number[]; rms: number } {
    const rng = seedrandom(`w:${seed}`);
    const name = this.fresh('w');
    const n = shape[axis];
    const base = 2 ** (-8 + 2 * rng());
    const scales = perChannel
      ? Array.from({ length: n }, () => f32(base * 2 ** (2 * rng() - 1)))
      : [f32(base)];
    this.b.initializer(name, randomIntTensor('int8', shape, seed, -127, 127));
    if (perChannel)
      this.b
        .vector(`${name}_s`, 'float32', scales)
        .vector(`${name}_z`, 'int8', new Array<number>(n).fill(0));
    else this.b.scalar(`${name}_s`, 'float32', scales[0]).scalar(`${name}_z`, 'int8', 0);
    const rms = (73 * scales.reduce((p, s) => p + s, 0)) / scales.length;
    return { name, scales, rms };
  }

  /** DQ of a weight (axis attribute when per-channel). */
  dqWeight(w: { name: string; scales: number[] }, axis: number): string {
    const f = `${w.name}_f`;
    const attrs: Record<string, Attr> = w.scales.length > 1 ? { axis: A.int(axis) } : {};
    this.b.node('DequantizeLinear', [w.name, `${w.name}_s`, `${w.name}_z`], [f], attrs);
    return f;
  }

  /** int32 bias with scale fround(x_scale · w_scale[c]); QDQ: its DQ (float value), QOp: the initializer. */
  bias(n: number, x: QT, w: { scales: number[] }, lim: number, seed: number): string {
    const name = this.fresh('bias');
    const l = Math.max(1, Math.min(2 ** 24, Math.round(lim)));
    this.b.initializer(name, randomIntTensor('int32', [n], seed, -l, l));
    if (this.format === 'qop') return name;
    const scales = w.scales.map((s) => f32(x.scale * s));
    if (scales.length > 1)
      this.b
        .vector(`${name}_s`, 'float32', scales)
        .vector(`${name}_z`, 'int32', new Array<number>(n).fill(0));
    else this.b.scalar(`${name}_s`, 'float32', scales[0]).scalar(`${name}_z`, 'int32', 0);
    const attrs: Record<string, Attr> = scales.length > 1 ? { axis: A.int(0) } : {};
    this.b.node('DequantizeLinear', [name, `${name}_s`, `${name}_z`], [`${name}_f`], attrs);
    return `${name}_f`;
  }

  int64(values: number[]): string {
    const name = this.fresh('c');
    this.b.initializer(name, tensor('int64', [values.length], values));
    return name;
  }

  floats(values: number[]): string {
    const name = this.fresh('c');
    this.b.initializer(name, tensor('float32', [values.length], values));
    return name;
  }

  scalarF(v: number): string {
    const name = this.fresh('c');
    this.b.scalar(name, 'float32', v);
    return name;
  }

  /** A unary QDQ group DQ(x) → f → Q into y; extra float inputs (Clip bounds) and attributes. */
  qdqUnary(op: string, x: QT, y: QT, extra: string[] = [], attrs: Record<string, Attr> = {}): QT {
    const out = this.fresh('f');
    this.b.node(op, [this.dq(x), ...extra], [out], attrs);
    return this.q(out, y);
  }

  /** An op that only moves codes: on the integer tensor (QOp, or QDQ with same params) or as a QDQ group. */
  movement(op: string, x: QT, y: QT, extra: string[], attrs: Record<string, Attr> = {}): QT {
    if (this.format === 'qop') {
      this.used.add(x.name);
      this.b.node(op, [x.name, ...extra], [y.name], attrs);
      return y;
    }
    return this.qdqUnary(op, x, y, extra, attrs);
  }

  /** Elementwise activation `fn` of x into y (QOp has QLinearSigmoid / QLinearLeakyRelu; the rest stay QDQ). */
  activation(fn: ActFn, x: QT, y: QT, alpha: number): QT {
    this.features.add(`act:${fn}`);
    if (this.format === 'qop' && (fn === 'Sigmoid' || fn === 'LeakyRelu')) {
      const attrs: Record<string, Attr> = fn === 'LeakyRelu' ? { alpha: A.float(alpha) } : {};
      const args = [...this.qargs(x), `${y.name}_s`, `${y.name}_z`];
      this.b.msNode(`QLinear${fn}`, args, [y.name], attrs);
      return y;
    }
    if (fn === 'Relu6') return this.qdqUnary('Clip', x, y, [this.scalarF(0), this.scalarF(6)]);
    const attrs: Record<string, Attr> = fn === 'LeakyRelu' ? { alpha: A.float(alpha) } : {};
    return this.qdqUnary(fn, x, y, [], attrs);
  }

  /** The output quantization a unary function wants (sigmoid in [0, 1], tanh in [-1, 1], ...). */
  activationOut(fn: ActFn, x: QT, shape: number[], q: OutQ): QT {
    const name = this.fresh('t');
    // sigmoid in [0, 1]: zero point near qmin; tanh in [-1, 1]: near the middle
    if (fn === 'Sigmoid') {
      const zp = this.qmin + Math.round(Math.abs(q.zpOff) / 4);
      return this.define(name, shape, 1 / 256 / 2 ** Math.round(q.u), zp, 0.6);
    }
    if (fn === 'Tanh') {
      const zp = this.zpOf({ ...q, zpMin: false, zpOff: Math.round(q.zpOff / 8) });
      return this.define(name, shape, f32(1.1 / 127 / 2 ** q.u), zp, 0.7);
    }
    const rms = fn === 'Relu' || fn === 'Relu6' ? x.rms / 1.4 : x.rms;
    return this.defineFor(name, shape, Math.min(rms, fn === 'Relu6' ? 4 : rms), q);
  }

  /** Shape of a tensor, its element count. */
  static size = size;
}
