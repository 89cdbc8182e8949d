// The lowering table: ONNX op (after import) → the rule that checks it and builds its NPU ops (style principle 8).

import { kernelKey } from '../../reference/kernel.js';
import type { LowerRule } from './context.js';
import { BINARY_RULE } from './ops/binary.js';
import { CONV_RULE } from './ops/conv.js';
import { QGEMM_RULE } from './ops/gemm.js';
import { IGELU_RULE, ILAYERNORM_RULE, ISOFTMAX_RULE } from './ops/ibert.js';
import { INT_CLIP_RULE, LUT_RULE, QLINEAR_UNARY_RULE } from './ops/lut.js';
import {
  CONCAT_RULE,
  QLINEAR_CONCAT_RULE,
  SLICE_RULE,
  TRANSPOSE_RULE,
  VIEW_RULE,
} from './ops/move.js';
import { QLINEAR_MATMUL_RULE } from './ops/matmul-act.js';
import { PAD_RULE, RESIZE_RULE } from './ops/pad-resize.js';
import { POOL_RULE } from './ops/pool.js';

/** Keyed by kernelKey(domain, opType): 'QLinearConv', 'com.microsoft:QGemm', 'npu.ref:QLinearLut', ... */
export const LOWER_RULES: Readonly<Record<string, LowerRule>> = {
  QLinearConv: CONV_RULE,
  QLinearMatMul: QLINEAR_MATMUL_RULE,
  'com.microsoft:QGemm': QGEMM_RULE,
  'com.microsoft:QLinearAdd': BINARY_RULE,
  'com.microsoft:QLinearMul': BINARY_RULE,
  MaxPool: POOL_RULE,
  'com.microsoft:QLinearAveragePool': POOL_RULE,
  'com.microsoft:QLinearGlobalAveragePool': POOL_RULE,
  'npu.ref:QLinearLut': LUT_RULE,
  'npu.ref:IntClip': INT_CLIP_RULE,
  'com.microsoft:QLinearSigmoid': QLINEAR_UNARY_RULE,
  'com.microsoft:QLinearLeakyRelu': QLINEAR_UNARY_RULE,
  Reshape: VIEW_RULE,
  Flatten: VIEW_RULE,
  Squeeze: VIEW_RULE,
  Unsqueeze: VIEW_RULE,
  Identity: VIEW_RULE,
  Cast: VIEW_RULE,
  Transpose: TRANSPOSE_RULE,
  Concat: CONCAT_RULE,
  'com.microsoft:QLinearConcat': QLINEAR_CONCAT_RULE,
  Slice: SLICE_RULE,
  Pad: PAD_RULE,
  Resize: RESIZE_RULE,
  // the I-BERT integer kernels (QDQ Softmax / LayerNormalization / Gelu, lowered with integerKernels)
  'npu.ref:ISoftmax': ISOFTMAX_RULE,
  'npu.ref:ILayerNorm': ILAYERNORM_RULE,
  'npu.ref:IGelu': IGELU_RULE,
};

export const ruleOf = (domain: string, opType: string): LowerRule | undefined =>
  Object.hasOwn(LOWER_RULES, kernelKey(domain, opType))
    ? LOWER_RULES[kernelKey(domain, opType)]
    : undefined;
