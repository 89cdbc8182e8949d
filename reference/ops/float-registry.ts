// The float op kernels of the reference interpreter (host fallback, constant folding, float parts of QDQ graphs).

import type { Kernel } from '../kernel.js';
import { ACTIVATION_KERNELS } from './float/activations.js';
import { CONSTANT_KERNELS } from './float/constants.js';
import { CONV_KERNELS } from './float/conv.js';
import { ELEMENTWISE_KERNELS } from './float/elementwise.js';
import { GEMM_KERNELS } from './float/gemm.js';
import { NORM_KERNELS } from './float/norm.js';
import { PAD_KERNELS } from './float/pad.js';
import { POOL_KERNELS } from './float/pool.js';
import { REDUCE_KERNELS } from './float/reduce.js';
import { RESIZE_KERNELS } from './float/resize.js';
import { SHAPE_KERNELS } from './float/shape-ops.js';
import { SLICING_KERNELS } from './float/slicing.js';
import { SOFTMAX_KERNELS } from './float/softmax.js';

/** Keys are kernelKey(domain, opType); all of these ops are in the default ONNX domain except com.microsoft:Gelu. */
export const FLOAT_KERNELS: Record<string, Kernel> = {
  // onnxruntime's contrib Gelu is the exact (erf) GELU, the ONNX Gelu's default; npuq writes it below opset 20
  'com.microsoft:Gelu': ACTIVATION_KERNELS.Gelu,
  ...ELEMENTWISE_KERNELS,
  ...ACTIVATION_KERNELS,
  ...SOFTMAX_KERNELS,
  ...CONV_KERNELS,
  ...GEMM_KERNELS,
  ...POOL_KERNELS,
  ...NORM_KERNELS,
  ...REDUCE_KERNELS,
  ...SHAPE_KERNELS,
  ...SLICING_KERNELS,
  ...CONSTANT_KERNELS,
  ...PAD_KERNELS,
  ...RESIZE_KERNELS,
};
