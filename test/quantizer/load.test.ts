// Calibration data from a .npy file or a folder of .npy files; float64 narrowed to float32; clear errors.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { writeNpy } from '../../common/npy.js';
import { tensor } from '../../common/tensor.js';
import { calibrationBatches } from '../../quantizer/calibrate/batches.js';
import { loadCalibrationData } from '../../quantizer/calibrate/load.js';
import { ModelBuilder } from '../helpers/model-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'npuq-calib-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const model = (batch: number | string) =>
  new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', [batch, 2])
    .node('Relu', ['x'], ['y'])
    .output('y', 'float32')
    .build();

describe('calibration data', () => {
  it('a folder of .npy files in name order, float64 narrowed; samples without batch dim get one', () => {
    const folder = join(dir, 'set');
    mkdirSync(folder);
    writeNpy(join(folder, 'b.npy'), tensor('float64', [2], [0.1, 0.2]));
    writeNpy(join(folder, 'a.npy'), tensor('float32', [3, 2], [1, 2, 3, 4, 5, 6]));
    const data = loadCalibrationData(folder);
    expect(data.map((t) => [t.dtype, t.shape])).toEqual([
      ['float32', [3, 2]],
      ['float32', [2]],
    ]);
    const batches = [...calibrationBatches(model('n'), data, 2)].map((f) => f.x.shape);
    expect(batches).toEqual([
      [2, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('a fixed batch dimension that the samples do not fill is an error naming the input', () => {
    const t = tensor('float32', [3, 2], [1, 2, 3, 4, 5, 6]);
    expect(() => [...calibrationBatches(model(2), t)]).toThrow(/fixed batch of 2/);
    expect([...calibrationBatches(model(1), t)]).toHaveLength(3);
  });

  it('missing path and empty folder are NpuErrors', () => {
    expect(() => loadCalibrationData(join(dir, 'nope.npy'))).toThrow(NpuError);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => loadCalibrationData(empty)).toThrow(/no \.npy files/);
  });
});
