// Pass: every tensor gets the NPU layout: CHW per image, width contiguous (the ISA's conv / pool / DMA convention).

import { DTYPE_BYTES } from '../../common/tensor.js';
import type { Layout, TensorValue } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';
import { view4 } from '../tiling/specs.js';

// Why CHW: conv and pool tiles are [C][rows][W] boxes (one DMA with strides), an output-row block of every channel
// is one strided box too, and it is ONNX's own NCHW order, so program I/O needs no host transpose and Reshape /
// Flatten of a whole tensor stay free views. Rank < 4 tensors are [1][1][rows][cols] (gemm operands: row-major).
export function layoutOf(t: TensorValue): Layout {
  const dims = view4(t.shape);
  const e = DTYPE_BYTES[t.dtype];
  return {
    kind: 'chw',
    dims,
    rowStride: dims[3] * e,
    channelStride: dims[2] * dims[3] * e,
    imageStride: dims[1] * dims[2] * dims[3] * e,
  };
}

export const chooseLayoutPass: Pass = {
  name: 'choose-layout',
  run(s) {
    const g = need(s.graph, 'the NPU graph', 'choose-layout');
    for (const t of g.tensors.values()) t.layout = layoutOf(t);
  },
};
