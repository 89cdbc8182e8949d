// Offline int8 weights of a dynamically quantized MatMul / Gemm / Conv: which axis, Gemm's B as a MatMul weight.

import type { Tensor } from '../../common/tensor.js';
import { quantizeWeight, type QuantizedWeight } from '../quantize/weights.js';

/** A weight prepared for MatMulInteger (`[K, N]`, or any rank) or ConvInteger (`[M, C/g, k...]`). */
export interface DynamicWeight {
  q: QuantizedWeight;
  /** Shape of the scale (and of MatMulInteger's zero point): `[N]` per column, `[M, 1, ...]` per output channel. */
  scaleShape: number[];
  /** Zero point shape: per column for MatMulInteger, always one value for ConvInteger (onnxruntime 1.30 refuses more). */
  zpShape: number[];
}

/**
 * Symmetric int8 in [-127, 127], zero point 0 (quantize/weights.ts, no bias widening: the bias stays float).
 * MatMul: per column (MatMulInteger's b_zero_point may be 1-D of N) for a 2-D weight, else per tensor. Conv: per
 * output channel; the scale is `[M, 1, ...]` so that the float Mul broadcasts over the ConvInteger output
 * `[N, M, spatial...]`, and the zero point stays one value (all channels have 0).
 */
export function quantizeDynamicWeight(
  w: Tensor<'float32'>,
  kind: 'matmul' | 'conv',
  perChannel: boolean,
): DynamicWeight {
  if (kind === 'matmul') {
    const axis = perChannel && w.shape.length === 2 ? 1 : undefined;
    const q = quantizeWeight(w, axis);
    const shape = axis === undefined ? [] : [q.scales.length];
    return { q, scaleShape: shape, zpShape: shape };
  }
  const axis = perChannel ? 0 : undefined;
  const q = quantizeWeight(w, axis);
  const scaleShape = axis === undefined ? [] : [q.scales.length, ...w.shape.slice(2).map(() => 1)];
  return { q, scaleShape, zpShape: [] };
}

/** Gemm's B as a MatMul weight `[K, N]`: transposed when transB, times alpha (float32). */
export function gemmWeight(
  b: Tensor<'float32'>,
  transB: boolean,
  alpha: number,
): Tensor<'float32'> {
  const [r, c] = b.shape as [number, number];
  const a = Math.fround(alpha);
  if (!transB && a === 1) return b;
  const [K, N] = transB ? [c, r] : [r, c];
  const out = new Float32Array(K * N);
  for (let k = 0; k < K; k++)
    for (let n = 0; n < N; n++) {
      const v = transB ? b.data[n * c + k] : b.data[k * c + n];
      out[k * N + n] = a === 1 ? v : Math.fround(v * a);
    }
  return { dtype: 'float32', shape: [K, N], data: out };
}

/** beta * C in float32 (Gemm's bias as the Add operand). */
export function scaledBias(c: Tensor<'float32'>, beta: number): Tensor<'float32'> {
  const b = Math.fround(beta);
  if (b === 1) return c;
  return { dtype: 'float32', shape: [...c.shape], data: c.data.map((v) => Math.fround(v * b)) };
}
