// Reads calibration data for the CLI: one .npy file (leading dim = sample) or a folder of .npy files.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../common/diagnostics.js';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';

/** float64 data (numpy's default) is narrowed to float32, the models' input type. */
function asFloat32(t: Tensor, file: string): Tensor {
  if (t.dtype === 'float32') return t;
  if (t.dtype !== 'float64') fail('wrongDType', [file, t.dtype, 'float32 or float64'], { file });
  return { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data as Float64Array) };
}

/**
 * A file gives one tensor; a folder gives its .npy files in name order, each a batch (or one sample without the
 * batch dimension, see calibrationBatches).
 */
export function loadCalibrationData(path: string): Tensor[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    fail('fileNotFound', [], { file: path });
  }
  if (!isDir) return [asFloat32(readNpy(path), path)];
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.npy'))
    .sort();
  if (files.length === 0) fail('badArgument', [`calibration folder '${path}' has no .npy files`]);
  return files.map((f) => asFloat32(readNpy(join(path, f)), join(path, f)));
}
