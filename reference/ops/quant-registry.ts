// The QOperator-format quantized kernels (ONNX default domain and com.microsoft contrib ops).

import type { Kernel } from '../kernel.js';
import { QCONV_KERNELS } from './quant/conv.js';
import { QELEMENTWISE_KERNELS } from './quant/elementwise.js';
import { QLUT_KERNELS } from './quant/lut-ops.js';
import { QMATMUL_KERNELS } from './quant/matmul.js';
import { QPOOL_KERNELS } from './quant/pool.js';
import { QUANTIZE_KERNELS } from './quant/quantize.js';

/** Keys are kernelKey(domain, opType): 'QLinearConv', 'com.microsoft:QLinearAdd', ... */
export const QUANT_KERNELS: Record<string, Kernel> = {
  ...QUANTIZE_KERNELS,
  ...QCONV_KERNELS,
  ...QMATMUL_KERNELS,
  ...QELEMENTWISE_KERNELS,
  ...QPOOL_KERNELS,
  ...QLUT_KERNELS,
};
