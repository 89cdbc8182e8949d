// Splits calibration data into model-sized batches: a tensor whose leading dim is the sample, or a list of batches.

import { fail } from '../../common/diagnostics.js';
import { shapeStr, sizeOf, type Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';

export type CalibrationData = Tensor | readonly Tensor[];

/**
 * Batches for the model's (single) input. A model input with a fixed leading dim gets batches of that size; a
 * symbolic batch dim gets `batchSize` samples per batch (the last batch may be smaller).
 */
export function* calibrationBatches(
  model: Model,
  data: CalibrationData,
  batchSize = 32,
): Generator<Record<string, Tensor>> {
  const inputs = model.graph.inputs.filter((i) => !model.graph.initializers.has(i.name));
  if (inputs.length !== 1) {
    fail('unsupported', [
      `calibration feeds one input; the model has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
    ]);
  }
  const input = inputs[0];
  const rank = input.shape?.length;
  const lead = input.shape?.[0];
  const per = typeof lead === 'number' ? lead : batchSize;
  const list = Array.isArray(data) ? (data as readonly Tensor[]) : [data as Tensor];
  for (const t of list) {
    // one sample without its batch dim: add it
    const x: Tensor =
      rank !== undefined && t.shape.length === rank - 1 ? { ...t, shape: [1, ...t.shape] } : t;
    if (rank !== undefined && x.shape.length !== rank) {
      fail('shapeMismatch', [
        `calibration data has shape ${shapeStr(t.shape)}; input '${input.name}' expects [${input.shape?.join(',')}]`,
      ]);
    }
    if (x.dtype !== 'float32') {
      fail('wrongDType', [input.name, x.dtype, 'float32']);
    }
    const n = x.shape[0];
    const row = sizeOf(x.shape.slice(1));
    const data32 = x.data as Float32Array;
    for (let s = 0; s < n; s += per) {
      const e = Math.min(n, s + per);
      if (typeof lead === 'number' && e - s !== lead) {
        fail('shapeMismatch', [
          `input '${input.name}' has a fixed batch of ${lead}; ${n} calibration samples do not divide into it`,
        ]);
      }
      yield {
        [input.name]: {
          dtype: 'float32',
          shape: [e - s, ...x.shape.slice(1)],
          data: data32.subarray(s * row, e * row),
        },
      };
    }
  }
}

/** Number of samples in the data (leading dims summed). */
export const sampleCount = (data: CalibrationData): number =>
  (Array.isArray(data) ? (data as readonly Tensor[]) : [data as Tensor]).reduce(
    (s, t) => s + (t.shape[0] ?? 1),
    0,
  );
