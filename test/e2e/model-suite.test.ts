// The model suite: whole quantized models through npuc and npusim (via the runtime API) equal the reference bit for
// bit in both requantization modes on two presets, and equal onnxruntime in float mode; accuracy on held-out digits.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizedZooModel } from '../../bench/zoo/quantized.js';
import { top1 } from '../../common/metrics.js';
import { readNpy } from '../../common/npy.js';
import { toNumbers, type Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { readProgram, writeProgram } from '../../isa/program-file.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { NpuSession } from '../../runtime/session.js';
import { ORT_OPTIONS, ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const N = 24;
const all = readNpy(join(DIR, 'digits-test-x.npy'));
const per = all.data.length / all.shape[0];
const x: Tensor = {
  dtype: 'float32',
  shape: [N, ...all.shape.slice(1)],
  data: (all.data as Float32Array).slice(0, N * per),
};
const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy'))).slice(0, N);

const FIXTURES = [
  // onnxruntime-style QDQ, int8 activations; int8 QDQ fuses on x86 only with qdqisint8allowed
  {
    file: 'digits-cnn.qdq.onnx',
    ort: { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } },
  },
  // exported by PyTorch 1.13 (torch.ao quantization): uint8 at zero point 128, Constant / Cast clutter
  { file: 'digits-cnn.torch-qdq.onnx', ort: ORT_OPTIONS },
];

/** Compiles for batch 1 (the symbolic batch dim fixed), round-trips prog.bin, loads it without naming the hw. */
function session(m: Model, hwName: string, requant: 'float' | 'fixed'): NpuSession {
  const dim = m.graph.inputs[0].shape?.[0];
  const hw = { ...loadHwConfig(hwName), requant };
  const r = compile(m, {
    hw,
    requant,
    cpuFallback: false,
    fixedDims: typeof dim === 'string' ? { [dim]: 1 } : {},
  });
  return NpuSession.load(writeProgram(readProgram(writeProgram(r.program!))));
}

const first = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];

/** The images of an [N, ...] batch as [1, ...] tensors (the zoo models have a static batch of 1). */
const images = (t: Tensor): Tensor[] => {
  const n = t.shape[0];
  const size = t.data.length / n;
  return Array.from({ length: n }, (_, k) => ({
    dtype: t.dtype,
    shape: [1, ...t.shape.slice(1)],
    data: t.data.slice(k * size, (k + 1) * size),
  }));
};

describe.each(FIXTURES)('$file', ({ file, ort }) => {
  const m = loadModel(join(DIR, file));
  const input = m.graph.inputs[0].name;
  const prepared = prepareModel(m);

  it.each([
    ['edge', 'float'],
    ['edge', 'fixed'],
    ['warboy-2pe', 'float'],
    ['warboy-2pe', 'fixed'],
  ] as const)('on %s, %s mode: npusim = reference bit for bit', (hwName, mode) => {
    const s = session(m, hwName, mode);
    expect([s.hw.name, s.hw.requant]).toEqual([hwName, mode]);
    const got = s.run({ [input]: x });
    const want = first(runPrepared(prepared, { [input]: x }, { mode }));
    expect(toNumbers(first(got.outputs))).toEqual(toNumbers(want));
    expect(got.stats.inferences).toBe(N);
    expect(got.stats.mac.usefulMacs).toBeGreaterThan(0);
    expect(top1(first(got.outputs), labels)).toBeGreaterThanOrEqual(0.9);
  });

  it('float mode: npusim = onnxruntime bit for bit', async () => {
    const got = first(session(m, 'warboy-2pe', 'float').run({ [input]: x }).outputs);
    const want = first(await runOrt(m, { [input]: x }, ort));
    expect(toNumbers(got)).toEqual(toNumbers(want));
  });
});

// ResNet- and MobileNetV2-style networks with random weights (bench/zoo), quantized by npuq, at test size
describe.each(['resnet18', 'resnet50', 'mobilenetV2', 'mobilenetV2HardSwish'] as const)(
  'zoo %s (32x32, width 0.25)',
  (name) => {
    let z: Awaited<ReturnType<typeof quantizedZooModel>>;
    let prepared: ReturnType<typeof prepareModel>;
    beforeAll(async () => {
      z = await quantizedZooModel(name, { preset: 'test' });
      prepared = prepareModel(z.quantized);
    });

    it.each([
      ['edge', 'float'],
      ['warboy-2pe', 'fixed'],
    ] as const)('on %s, %s mode: npusim = reference bit for bit', (hwName, mode) => {
      const s = session(z.quantized, hwName, mode);
      const got = first(s.run({ input: z.calib }).outputs);
      const want = images(z.calib).flatMap((im) =>
        toNumbers(first(runPrepared(prepared, { input: im }, { mode }))),
      );
      expect(toNumbers(got)).toEqual(want);
    });

    it('float mode: npusim = onnxruntime bit for bit', async () => {
      const got = first(
        session(z.quantized, 'warboy-2pe', 'float').run({ input: z.calib }).outputs,
      );
      const ort = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };
      const want: number[] = [];
      for (const im of images(z.calib))
        want.push(...toNumbers(first(await runOrt(z.quantized, { input: im }, ort))));
      expect(toNumbers(got)).toEqual(want);
    });
  },
);
