// The rewrite context of QDQ lowering: fresh names, new initializers, and tables computed with the real kernels.

import type { DType, Tensor } from '../../common/tensor.js';
import { INT_RANGE, tensor } from '../../common/tensor.js';
import type { Attr, Node } from '../../onnx/graph.js';
import type { Kernel } from '../kernel.js';
import { FLOAT_KERNELS } from '../ops/float-registry.js';
import { QUANT_KERNELS } from '../ops/quant-registry.js';
import { buildUnaryLut } from '../quant/lut.js';
import type { GraphIndex, Q8, QParams } from './match.js';

/** One pattern's replacement: `remove` (the op, a fused activation, the Q) becomes `add`, placed where `anchor` was. */
export interface Rewrite {
  anchor: Node;
  remove: Node[];
  add: Node[];
}

export const NPU_REF = 'npu.ref';
export const MS = 'com.microsoft';

export class LowerCtx {
  readonly newInits = new Map<string, Tensor>();
  readonly domainsUsed = new Set<string>();
  private readonly taken = new Set<string>();
  private counter = 0;
  /** The name of the float node being lowered: new nodes are named after it (reports show the model's names). */
  origin = '';

  readonly ix: GraphIndex;
  readonly opset: number;

  constructor(ix: GraphIndex, opset: number) {
    this.ix = ix;
    this.opset = opset;
    const g = ix.graph;
    for (const n of g.nodes) {
      this.taken.add(n.name);
      for (const v of [...n.inputs, ...n.outputs]) this.taken.add(v);
    }
    for (const k of g.initializers.keys()) this.taken.add(k);
    for (const v of [...g.inputs, ...g.outputs]) this.taken.add(v.name);
  }

  /** A value or node name not used anywhere in the model. */
  fresh(base: string): string {
    let name = base;
    while (this.taken.has(name)) name = `${base}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  addInit(base: string, t: Tensor): string {
    const name = this.fresh(base);
    this.newInits.set(name, t);
    return name;
  }

  /** The zero-point input for a QLinear op: the node's own initializer, or a new zero tensor if it omitted it. */
  zpInput(p: QParams): string {
    return p.zpName ?? this.addInit(`${p.scaleName}__zp`, p.zp);
  }

  /** A quantized operand of a QLinear op: the integer tensor, its scale and its zero point. */
  operand(d: { x: string; params: QParams }): string[] {
    return [d.x, ...this.qParams(d.params)];
  }

  /** The scale and zero-point inputs of a QLinear op's output. */
  qParams(p: QParams): string[] {
    return [p.scaleName, this.zpInput(p)];
  }

  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, Attr>,
    domain = '',
  ): Node {
    if (domain !== '') this.domainsUsed.add(domain);
    return {
      name: this.fresh(`${this.origin !== '' ? this.origin : (outputs[0] ?? opType)}__${opType}`),
      opType,
      domain,
      inputs,
      outputs,
      attrs,
    };
  }

  /** Runs one of the interpreter's kernels at lowering time (weight folding, LUT tables). */
  run(table: 'float' | 'quant', node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const kernels: Record<string, Kernel> = table === 'float' ? FLOAT_KERNELS : QUANT_KERNELS;
    if (!(node.opType in kernels)) throw new Error(`QDQ lowering: no kernel for ${node.opType}`);
    return kernels[node.opType](inputs, { node, mode: 'float', opset: this.opset });
  }

  /** Dequantizes `x` with per-tensor params exactly as DequantizeLinear does. */
  dequantize(x: Tensor, p: QParams): Tensor {
    return this.run('quant', QDQ_NODE.dq, [x, p.scale, p.zp])[0];
  }

  /** Quantizes float32 `x` with per-tensor params exactly as QuantizeLinear does (float32 division, RHE, saturate). */
  quantize(x: Tensor, p: QParams): Tensor {
    return this.run('quant', QDQ_NODE.q, [x, p.scale, p.zp])[0];
  }

  /** sat(Q(v)) of one float value with the output params of a Q; ±inf saturate; NaN has no code. */
  quantizeScalar(v: number, p: QParams): number | undefined {
    if (Number.isNaN(v)) return undefined;
    const [lo, hi] = INT_RANGE[p.dtype as Q8];
    if (v === -Infinity) return lo;
    if (v === Infinity) return hi;
    return Number(this.quantize(tensor('float32', [1], [v]), p).data[0]);
  }

  /**
   * The 256-entry table Q_out(f(DQ_in(code))) for every code of the input dtype, built by buildUnaryLut (the table
   * the NPU's LUT instruction uses) with f = the interpreter's own float kernel of `op` (its attributes and constant
   * extra inputs), evaluated once on all 256 dequantized codes: the lookup equals the float path DQ → op → Q
   * bit for bit. Without `op`, f is the identity (a pure requantization).
   */
  lutTable(
    op: Node | undefined,
    extra: (Tensor | undefined)[],
    inP: QParams,
    outP: QParams,
  ): Tensor {
    const inType = inP.dtype as Q8;
    const [lo] = INT_RANGE[inType];
    const codes = tensor(
      inType,
      [256],
      Array.from({ length: 256 }, (_, i) => lo + i),
    );
    const xs = this.dequantize(codes, inP);
    const ys = op === undefined ? xs : this.run('float', op, [xs, ...extra])[0];
    const fOf = new Map<number, number>();
    for (let i = 0; i < 256; i++) fOf.set(Number(xs.data[i]), Number(ys.data[i]));
    const f = (x: number): number => {
      const y = fOf.get(x);
      if (y !== undefined) return y;
      // only if buildUnaryLut dequantized differently from DequantizeLinear: evaluate the kernel on x itself
      if (op === undefined) return x;
      return Number(this.run('float', op, [tensor('float32', [1], [x]), ...extra])[0].data[0]);
    };
    const [sIn, zIn, sOut, zOut] = [inP.scale, inP.zp, outP.scale, outP.zp].map((t) =>
      Number(t.data[0]),
    );
    const outType = outP.dtype as Q8;
    const data = buildUnaryLut(f, sIn, zIn, inType, sOut, zOut, outType);
    return { dtype: outType, shape: [256], data };
  }
}

// Q / DQ nodes with default attributes (per-tensor parameters), used to call the kernels at lowering time.
const QDQ_NODE = {
  q: {
    name: 'qdq_lowering_q',
    opType: 'QuantizeLinear',
    domain: '',
    inputs: [],
    outputs: [],
    attrs: {},
  },
  dq: {
    name: 'qdq_lowering_dq',
    opType: 'DequantizeLinear',
    domain: '',
    inputs: [],
    outputs: [],
    attrs: {},
  },
} satisfies Record<string, Node>;

/** True when a table maps every code to itself (a requantization that changes nothing). */
export function isIdentityTable(table: Tensor, inDType: DType): boolean {
  if (table.dtype !== inDType) return false;
  const lo = INT_RANGE[inDType as Q8][0];
  for (let i = 0; i < 256; i++) if (Number(table.data[i]) !== lo + i) return false;
  return true;
}

export const tensorAttr = (value: Tensor): Attr => ({ type: 'tensor', value });
export const intA = (value: number): Attr => ({ type: 'int', value });
