// Lowering rules of the I-BERT ops: npu.ref:ISoftmax / ILayerNorm → vec.softmax / vec.layernorm; IGelu → vec.lut.

import { INT_RANGE } from '../../../common/tensor.js';
import { packInt8ILayerNormParams, packInt8ISoftmaxParams } from '../../../isa/ibert-params.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { QuantInfo } from '../../../reference/ibert/int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
} from '../../../reference/ibert/int8-kernels.js';
import type { IbertOp, LutOp, QInfo } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  type Lowered,
  base,
  constOf,
  dtypeOf,
  firstReason,
  inShape,
  is8,
} from '../context.js';

type Q8 = 'int8' | 'uint8';

/** x / y quantization from the node's attributes, as the reference kernel reads them (float32 scales). */
function quantOf(cx: LowerCx): { x: QuantInfo; y: QuantInfo } {
  const dtype = dtypeOf(cx, cx.node.inputs[0]) as Q8;
  const info = (name: string): QuantInfo => ({
    scale: Math.fround(attrFloat(cx.node, `${name}_scale`)),
    zeroPoint: attrInt(cx.node, `${name}_zero_point`, 0),
    dtype,
  });
  return { x: info('x'), y: info('y') };
}

const qinfo = (q: QuantInfo): QInfo => ({ scale: q.scale, zp: q.zeroPoint });

const quantPairs = (cx: LowerCx): [string, QInfo][] => {
  const { x, y } = quantOf(cx);
  return [
    [cx.node.inputs[0], qinfo(x)],
    [cx.node.outputs[0], qinfo(y)],
  ];
};

const normAxis = (cx: LowerCx): number => {
  const r = inShape(cx).length;
  const a = attrInt(cx.node, 'axis', -1);
  return a < 0 ? a + r : a;
};

/** The rows × len view of the input: len is the last axis (the one the kernel reduces over). */
function rowsOf(cx: LowerCx): { rows: number; len: number } {
  const s = inShape(cx);
  const len = s.at(-1) ?? 1;
  return { rows: s.slice(0, -1).reduce((p, d) => p * d, 1), len };
}

const common = (cx: LowerCx): [boolean, string][] => [
  [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
  [inShape(cx).length < 1, 'a scalar input'],
];

function softmaxParams(cx: LowerCx): Uint8Array {
  const { x, y } = quantOf(cx);
  return packInt8ISoftmaxParams(
    paramsForInt8ISoftmax(x, y, cx.mode, attrInt(cx.node, 'output_bits', 8)),
  );
}

function layerNormParams(cx: LowerCx): Uint8Array {
  const { x, y } = quantOf(cx);
  const gamma = constOf(cx, 1)!.data as Float32Array;
  const beta = (constOf(cx, 2)?.data as Float32Array | undefined) ?? new Float32Array(gamma.length);
  return packInt8ILayerNormParams(paramsForInt8ILayerNorm(x, y, cx.mode, gamma, beta));
}

function rowOp(cx: LowerCx, fn: IbertOp['fn'], params: Uint8Array): Lowered {
  const op: IbertOp = {
    kind: 'ibert',
    ...base(cx, [cx.node.inputs[0]]),
    fn,
    ...rowsOf(cx),
    params,
  };
  return { ops: [op], quant: quantPairs(cx) };
}

/** ISoftmax along the last axis (the rows are contiguous); parameters are computed in check (they may fail). */
export const ISOFTMAX_RULE: LowerRule = {
  check(cx) {
    return (
      firstReason([
        ...common(cx),
        [
          inShape(cx)
            .slice(normAxis(cx) + 1)
            .some((d) => d !== 1),
          'softmax along an axis other than the last is not supported',
        ],
      ]) ?? (softmaxParams(cx), undefined)
    );
  },
  lower: (cx) => rowOp(cx, 'softmax', softmaxParams(cx)),
};

/** ILayerNorm over the last axis: γ and β are folded into the parameter block (per-column output requant). */
export const ILAYERNORM_RULE: LowerRule = {
  check(cx) {
    const s = inShape(cx);
    const gamma = constOf(cx, 1);
    const hasBeta = (cx.node.inputs[2] ?? '') !== '';
    return (
      firstReason([
        ...common(cx),
        [
          gamma?.dtype !== 'float32' || (hasBeta && constOf(cx, 2)?.dtype !== 'float32'),
          'scale and bias must be constant float32',
        ],
        [
          s.slice(normAxis(cx), -1).some((d) => d !== 1) || gamma?.data.length !== s.at(-1),
          'normalization over more than the last axis is not supported',
        ],
      ]) ?? (layerNormParams(cx), undefined)
    );
  },
  lower: (cx) => rowOp(cx, 'layernorm', layerNormParams(cx)),
};

/**
 * IGelu is element-wise on 8-bit codes: a 256-entry table of runInt8IGelu over every code (bit-identical to the
 * kernel, one vec.lut pass, and it can ride in a gemm epilogue) rather than vec.gelu's polynomial per element.
 */
export const IGELU_RULE: LowerRule = {
  check(cx) {
    return firstReason(common(cx)) ?? (geluTable(cx), undefined);
  },
  lower(cx) {
    const op: LutOp = { kind: 'lut', ...base(cx, [cx.node.inputs[0]]), table: geluTable(cx) };
    return { ops: [op], quant: quantPairs(cx) };
  },
};

function geluTable(cx: LowerCx): Int8Array | Uint8Array {
  const { x, y } = quantOf(cx);
  const [lo] = INT_RANGE[x.dtype];
  const codes =
    x.dtype === 'int8'
      ? Int8Array.from({ length: 256 }, (_, i) => lo + i)
      : Uint8Array.from({ length: 256 }, (_, i) => lo + i);
  return runInt8IGelu(codes, paramsForInt8IGelu(x, y, cx.mode));
}
