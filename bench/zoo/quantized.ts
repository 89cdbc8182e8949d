// The model zoo table and its int8 half: each float model quantized (minmax QDQ) on seeded calibration images.

import seedrandom from 'seedrandom';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import {
  quantizeModel,
  type QuantizeOptions,
  type QuantizeReport,
} from '../../quantizer/quantize-model.js';
import {
  mobilenetV2Like,
  resnet18Like,
  resnet50Like,
  tinyCnn,
  type FloatModelOptions,
} from './float-models.js';

export type ZooName =
  | 'tinyCnn'
  | 'resnet18'
  | 'resnet50'
  | 'mobilenetV2'
  | 'mobilenetV2HardSwish'
  | 'mobilenetV2HardSwishOp';
export type ZooPreset = 'bench' | 'test';

export interface ZooEntry {
  build: (opts: FloatModelOptions) => Model;
  /** Full size: 224x224, widthMult 1, 1000 classes (tinyCnn: its own 16x16). */
  bench: FloatModelOptions;
  /** Small enough for the reference interpreter in tests: 32x32, widthMult 0.25, 10 classes. */
  test: FloatModelOptions;
}

const BENCH: FloatModelOptions = { resolution: 224, seed: 1, widthMult: 1, classes: 1000 };
const TEST: FloatModelOptions = { resolution: 32, seed: 1, widthMult: 0.25, classes: 10 };

export const ZOO: Readonly<Record<ZooName, ZooEntry>> = {
  tinyCnn: {
    build: tinyCnn,
    bench: { resolution: 16, seed: 1, widthMult: 1, classes: 10 },
    test: { resolution: 8, seed: 1, widthMult: 1, classes: 10 },
  },
  resnet18: { build: resnet18Like, bench: BENCH, test: TEST },
  resnet50: { build: resnet50Like, bench: BENCH, test: TEST },
  mobilenetV2: { build: mobilenetV2Like, bench: BENCH, test: TEST },
  /** Hard-swish as x * HardSigmoid(x) (opset 13) after the stem and the last 1x1 conv. */
  mobilenetV2HardSwish: {
    build: (o) => mobilenetV2Like({ ...o, hardswish: 'pattern' }),
    bench: BENCH,
    test: TEST,
  },
  /** The HardSwish op itself (opset 14). */
  mobilenetV2HardSwishOp: {
    build: (o) => mobilenetV2Like({ ...o, hardswish: 'op' }),
    bench: BENCH,
    test: TEST,
  },
};

export const ZOO_NAMES = Object.keys(ZOO) as ZooName[];

export interface ZooModelOptions extends Partial<FloatModelOptions> {
  /** Defaults for the fields not given (default 'bench'). */
  preset?: ZooPreset;
  /** Calibration images (default 4). */
  calibSamples?: number;
  /** Options for quantizeModel (default: minmax, asymmetric int8 activations, per-channel weights). */
  quantize?: QuantizeOptions;
}

export interface ZooModel {
  float: Model;
  quantized: Model;
  /** The calibration images, [calibSamples, 3, R, R]. */
  calib: Tensor<'float32'>;
  report: QuantizeReport;
  /** The float model's options after applying the preset. */
  options: FloatModelOptions;
}

/** `count` images of standard normal pixels (like mean/std-normalized photos), [count, 3, R, R], from `seed`. */
export function randomImages(resolution: number, count: number, seed: string): Tensor<'float32'> {
  const rng = seedrandom(seed);
  const shape = [count, 3, resolution, resolution];
  const data = new Float32Array(count * 3 * resolution * resolution);
  for (let i = 0; i < data.length; i++) {
    const u = 1 - rng();
    data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  }
  return { dtype: 'float32', shape, data };
}

/** The options of a zoo model: the preset's, overridden by the fields given. */
export function zooOptions(name: ZooName, opts: ZooModelOptions = {}): FloatModelOptions {
  const base = ZOO[name][opts.preset ?? 'bench'];
  return {
    resolution: opts.resolution ?? base.resolution,
    seed: opts.seed ?? base.seed,
    widthMult: opts.widthMult ?? base.widthMult ?? 1,
    classes: opts.classes ?? base.classes ?? 1000,
  };
}

/** Builds a zoo model and quantizes it on seeded calibration images; deterministic for the same options. */
export async function quantizedZooModel(
  name: ZooName,
  opts: ZooModelOptions = {},
): Promise<ZooModel> {
  const options = zooOptions(name, opts);
  const float = ZOO[name].build(options);
  const calib = randomImages(
    options.resolution,
    opts.calibSamples ?? 4,
    `zoo-calib:${name}:${options.seed}`,
  );
  const { model, report } = await quantizeModel(float, calib, {
    method: 'minmax',
    ...opts.quantize,
  });
  return { float, quantized: model, calib, report, options };
}
