// Int8 weights (symmetric, per output channel or per tensor) and int32 biases with scale s_in * s_w.

import type { Tensor } from '../../common/tensor.js';
import { quantizeBiasValue, quantizeWeightValue, weightScale, widenForBias } from './qparams.js';

export interface QuantizedWeight {
  q: Tensor<'int8'>;
  /** One scale per channel along `axis`, or one scale (axis undefined). */
  scales: Float32Array;
  axis: number | undefined;
  /** Channels whose scale was widened so the int32 bias fits. */
  widened: number;
}

/** Index of the channel along `axis` for each flat element. */
function channelIndex(shape: readonly number[], axis: number): (i: number) => number {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  return (i) => Math.floor(i / inner) % n;
}

/**
 * Symmetric int8 in [-127, 127]. With a bias (float values per channel, or one value) and the input scale, each
 * channel's scale is first widened where the int32 bias would overflow.
 */
export function quantizeWeight(
  w: Tensor<'float32'>,
  axis: number | undefined,
  bias?: { values: Float32Array; inputScale: number },
): QuantizedWeight {
  const channels = axis === undefined ? 1 : w.shape[axis];
  const chan = axis === undefined ? () => 0 : channelIndex(w.shape, axis);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.data.length; i++) {
    const c = chan(i);
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w.data[i]));
  }
  const scales = new Float32Array(channels);
  let widened = 0;
  for (let c = 0; c < channels; c++) {
    let s = weightScale(maxAbs[c]);
    if (bias !== undefined) {
      // per-tensor weights: the largest bias decides
      const bs = axis === undefined ? bias.values : [bias.values[bias.values.length === 1 ? 0 : c]];
      for (const b of bs) {
        const s2 = widenForBias(s, bias.inputScale, b);
        if (s2 !== s) {
          s = s2;
          widened++;
        }
      }
    }
    scales[c] = s;
  }
  const q = new Int8Array(w.data.length);
  for (let i = 0; i < w.data.length; i++) q[i] = quantizeWeightValue(w.data[i], scales[chan(i)]);
  return { q: { dtype: 'int8', shape: [...w.shape], data: q }, scales, axis, widened };
}

/** int32 bias for `channels` outputs with scale float32(s_in * s_w[c]). */
export function quantizeBias(
  values: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
  channels: number,
): { q: Tensor<'int32'>; scales: Float32Array } {
  const n = values.length === 1 ? channels : values.length;
  const scales = new Float32Array(weightScales.length === 1 ? 1 : n);
  for (let c = 0; c < scales.length; c++) scales[c] = Math.fround(inputScale * weightScales[c]);
  const q = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const b = values[values.length === 1 ? 0 : c];
    q[c] = quantizeBiasValue(b, scales[scales.length === 1 ? 0 : c]);
  }
  return { q: { dtype: 'int32', shape: [n], data: q }, scales };
}
