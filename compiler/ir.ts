// The compiler IR: a graph of NPU ops over static-shaped tensors, with the exact quantization parameters each needs.

import type { DType, Tensor } from '../common/tensor.js';
import type { Node } from '../onnx/graph.js';

/** The 8-bit activation types the NPU computes on. */
export type Q8 = 'int8' | 'uint8';

/** Per-tensor quantization of an activation: real = scale · (code − zp); scale is a float32 value. */
export interface QInfo {
  scale: number;
  zp: number;
}

/**
 * A tensor of the compiled graph. Activations are 8-bit with `quant`; constants are weights (int8/uint8), biases
 * (int32) and tables. `codeOffset` is set on a program input/output that uint8 normalisation turned into int8:
 * the original code is the stored code + codeOffset (the runtime converts at the boundary).
 */
export interface TensorValue {
  name: string;
  dtype: DType;
  shape: number[];
  quant?: QInfo;
  kind: 'input' | 'output' | 'intermediate' | 'const';
  codeOffset?: number;
  /** Set by the layout pass. */
  layout?: Layout;
}

/**
 * How a tensor lies in DRAM: CHW per image, rows contiguous ([N][C][H][W] row-major, the ISA's conv operand order),
 * so ONNX's NCHW order is kept and reshapes of a whole tensor are free. Strides are in bytes.
 */
export interface Layout {
  kind: 'chw';
  dims: [number, number, number, number];
  rowStride: number;
  channelStride: number;
  imageStride: number;
}

/** Per-channel requantization table in one of the two modes (docs/semantics.md, "Requantization modes"). */
export type RequantTable =
  | { mode: 'float'; multiplier: Float32Array }
  | { mode: 'fixed'; multiplier: Int32Array; shift: Int32Array };

/** What the conv / gemm epilogue does after requantization (mac.quant's `act`). */
export type Activation =
  | { act: 'none' }
  | { act: 'relu' }
  | { act: 'clip'; lo: number; hi: number }
  | { act: 'lut'; table: Int8Array | Uint8Array };

/** Conv / gemm epilogue: bias, requantization, activation (one instruction with the MACs). */
export interface Epilogue {
  bias?: Int32Array;
  requant: RequantTable;
  /** The real multipliers the table was derived from: fround(x·w[c]/y) (float) or double (fixed). */
  realMultiplier: Float64Array;
  /** Type and zero point of the requantized code (before the activation; the output tensor's unless a LUT follows). */
  out: { dtype: Q8; zp: number };
  activation: Activation;
}

export interface ConvGeometry {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  /** Explicit padding after auto_pad resolution. */
  padT: number;
  padL: number;
  padB: number;
  padR: number;
  groups: number;
}

interface OpBase {
  /** Stable id (position in the op list when built). */
  id: number;
  /** The ONNX nodes this op came from (after fusion, several). */
  nodes: string[];
  inputs: string[];
  output: string;
}

export interface ConvOp extends OpBase {
  kind: 'conv';
  geom: ConvGeometry;
  /** [outC][inC/groups][kH][kW] */
  weight: Int8Array | Uint8Array;
  wType: Q8;
  wZp: number;
  epilogue: Epilogue;
}

export interface GemmOp extends OpBase {
  kind: 'gemm';
  /** Rows of A (batch dims folded in), output columns, reduction length. */
  m: number;
  n: number;
  k: number;
  /** B stored transposed as the ISA wants it: [n][k]. */
  weightT: Int8Array | Uint8Array;
  wType: Q8;
  wZp: number;
  epilogue: Epilogue;
}

export type BroadcastMode = 'elementwise' | 'scalar' | 'perrow';

/** Two-input element-wise op with per-input rescale (vec.add / vec.mul). */
export interface BinaryOp extends OpBase {
  kind: 'add' | 'mul';
  bMode: BroadcastMode;
  /** Elements per row for 'perrow' (H·W of a CHW image). */
  rowLen: number;
  /** float mode: the f32 operands the ISA multiplies; fixed mode: multipliers and shifts (TFLite ADD / MUL). */
  scale: { a: number; b: number; out: number };
  fixed: {
    multA: number;
    shiftA: number;
    multB: number;
    shiftB: number;
    multOut: number;
    shiftOut: number;
    leftShift: number;
  };
  clip: { lo: number; hi: number };
  /**
   * A constant operand B (QLinearAdd(bias, x) after a MatMul, a positional embedding): its codes broadcast to the
   * output's full shape (bMode 'elementwise'), stored in the constant image; `inputs` then holds A only.
   */
  constB?: { data: Int8Array | Uint8Array; dtype: Q8; zp: number };
}

export interface PoolOp extends OpBase {
  kind: 'pool';
  pool: 'max' | 'avg' | 'gavg';
  geom: ConvGeometry;
  countPad: boolean;
  scale: { a: number; out: number };
  fixed: { multOut: number; shiftOut: number };
}

/** 256-entry table lookup (vec.lut); entry i belongs to input code qmin + i. */
export interface LutOp extends OpBase {
  kind: 'lut';
  table: Int8Array | Uint8Array;
}

export interface ClampOp extends OpBase {
  kind: 'clamp';
  lo: number;
  hi: number;
}

/**
 * Data movement as address arithmetic. `view`: the output is the input's bytes reinterpreted (reshape / flatten /
 * squeeze / unsqueeze / identity of a contiguous tensor) and gets no buffer of its own.
 */
export interface MoveOp extends OpBase {
  kind: 'move';
  what: 'reshape' | 'concat' | 'transpose' | 'slice';
  view: boolean;
  axis?: number;
  perm?: number[];
  starts?: number[];
}

export interface PadOp extends OpBase {
  kind: 'pad';
  /** ONNX order: begins of every axis, then ends. */
  pads: number[];
  /** The padding code (the constant value quantized with the input's parameters). */
  value: number;
}

/** Nearest-neighbour resize by integer factors per axis (vec.move with a zero source stride). */
export interface ResizeOp extends OpBase {
  kind: 'resize';
  factors: number[];
}

/**
 * An I-BERT row kernel (vec.softmax / vec.layernorm) over [rows][len] rows, len = the last axis: integer-only
 * softmax or LayerNorm, bit-exact with reference/ibert/int8-kernels.ts. `params` is the packed parameter block
 * (isa/ibert-params.ts) of paramsForInt8* in the program's requantization mode.
 */
export interface IbertOp extends OpBase {
  kind: 'ibert';
  fn: 'softmax' | 'layernorm';
  rows: number;
  len: number;
  params: Uint8Array;
}

/**
 * MatMul of two activations (attention's Q·Kᵀ and attn·V), batched: for each of `batch` matrices,
 * out[m][n] = requant(Σ (a − aZp)(b − bZp)), per-tensor. inputs = [A [batch][m][k], Bᵀ [batch][n][k]] (the lowering
 * inserts the transpose of B); the requantization table repeats the one multiplier for each of the n columns.
 */
export interface MatMulOp extends OpBase {
  kind: 'matmul';
  batch: number;
  m: number;
  n: number;
  k: number;
  wType: Q8;
  wZp: number;
  epilogue: Epilogue;
}

/** A node that runs on the host through the reference interpreter (cpuFallback). */
export interface HostOp extends OpBase {
  kind: 'host';
  node: Node;
  outputs: string[];
}

export type NpuOp =
  | ConvOp
  | GemmOp
  | BinaryOp
  | PoolOp
  | LutOp
  | ClampOp
  | MoveOp
  | PadOp
  | ResizeOp
  | IbertOp
  | MatMulOp
  | HostOp;

export type OpKind = NpuOp['kind'];

/** Input and output of the program on the host side: the float boundary Q / DQ that the runtime applies. */
export interface IoBinding {
  /** The ONNX graph input / output name. */
  onnxName: string;
  /** The integer tensor the NPU program reads / writes. */
  tensor: string;
  /** Present when the ONNX boundary is float: the runtime quantizes (inputs) or dequantizes (outputs). */
  quant?: QInfo & { dtype: Q8 };
}

export interface NpuGraph {
  tensors: Map<string, TensorValue>;
  /** In a valid execution order. */
  ops: NpuOp[];
  inputs: IoBinding[];
  outputs: IoBinding[];
  /** Constants other than weights (host ops' initializers). */
  constants: Map<string, Tensor>;
}

/** Producers and consumers of each tensor. */
export function useDef(g: NpuGraph): {
  producer: Map<string, NpuOp>;
  consumers: Map<string, NpuOp[]>;
} {
  const producer = new Map<string, NpuOp>();
  const consumers = new Map<string, NpuOp[]>();
  for (const op of g.ops) {
    for (const o of opOutputs(op)) producer.set(o, op);
    for (const i of op.inputs) {
      const l = consumers.get(i) ?? [];
      if (!l.includes(op)) l.push(op);
      consumers.set(i, l);
    }
  }
  return { producer, consumers };
}

export const opOutputs = (op: NpuOp): string[] => (op.kind === 'host' ? op.outputs : [op.output]);

export function tensorOf(g: NpuGraph, name: string): TensorValue {
  const t = g.tensors.get(name);
  if (t === undefined) throw new Error(`compiler IR: unknown tensor '${name}'`);
  return t;
}
