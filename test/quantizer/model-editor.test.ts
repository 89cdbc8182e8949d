// Integer graph inputs / outputs (editIoTypes): the edited model on integer codes equals the unedited model fed the
// dequantized values, bit for bit, in onnxruntime and in the reference; the uint8 zero-point shift is exact.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { readNpy } from '../../common/npy.js';
import { tensor, type DType, type Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import { collectStats } from '../../quantizer/calibrate/collect.js';
import {
  editIoTypes,
  shiftIsExact,
  type IoEdit,
  type IoType,
} from '../../quantizer/edit/model-editor.js';
import { prepareForQuantization, quantizeWithStats } from '../../quantizer/quantize-model.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { ORT_OPTIONS_S8, runOrt, runOrtWithPlan } from '../helpers/ort.js';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const f32 = Math.fround;
// int8 QDQ groups fuse into integer kernels on x86 only with qdqisint8allowed (as in digits.test.ts)
const ORT_FUSED = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };
const TYPES: readonly IoType[] = ['int8', 'uint8'];
const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

/** Independent DequantizeLinear / QuantizeLinear (ONNX: float32 product, float32 division, half to even). */
const dequant = (q: number, s: number, zp: number): number => f32(f32(q - zp) * s);
function quant(x: number, s: number, zp: number, t: IoType): number {
  const v = f32(x / s);
  const r = Math.round(v);
  const rhe = Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
  return Math.min(Math.max(rhe + zp, RANGE[t][0]), RANGE[t][1]);
}

const codesTensor = (t: IoType, shape: readonly number[], codes: readonly number[]): Tensor =>
  tensor(t as DType, shape, codes);

/** The float tensor the unedited model is fed: each integer code dequantized with the edit's parameters. */
const dequantTensor = (t: Tensor, e: IoEdit): Tensor =>
  tensor(
    'float32',
    t.shape,
    Array.from(t.data as ArrayLike<number>, (q) => dequant(q, e.scale, e.zeroPoint)),
  );

function bitEqual(a: Tensor, b: Tensor): number {
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) diff++;
  return diff;
}

describe('editIoTypes on the digits CNN', () => {
  const models: Record<string, Model> = {};
  let x: Tensor;

  beforeAll(async () => {
    const prepared = prepareForQuantization(loadModel(join(DIR, 'digits-cnn.onnx')));
    const stats = await collectStats(prepared.model, readNpy(join(DIR, 'digits-calib-x.npy')));
    models.asym = quantizeWithStats(prepared, stats, { method: 'minmax' }).model;
    models.sym = quantizeWithStats(prepared, stats, { method: 'mse', symmetric: true }).model;
    x = readNpy(join(DIR, 'digits-test-x.npy'));
  });

  for (const name of ['asym', 'sym']) {
    for (const inputType of TYPES) {
      for (const outputType of TYPES) {
        it(`${name}: --input-type ${inputType} --output-type ${outputType} is exact in the reference and onnxruntime`, async () => {
          const model = models[name];
          const { model: edited, edits } = editIoTypes(model, { inputType, outputType });
          const [ie, oe] = edits;
          expect(ie).toMatchObject({ tensor: 'input', kind: 'input', dtype: inputType });
          expect(oe).toMatchObject({ tensor: 'logits', kind: 'output', dtype: outputType });
          expect(edited.graph.inputs[0]).toMatchObject({ name: 'input', dtype: inputType });
          expect(edited.graph.outputs[0]).toMatchObject({ name: 'logits', dtype: outputType });

          // 64 test images as integer codes, plus 32 images of seeded random codes covering every code value
          const rng = seedrandom(`${name}-${inputType}-${outputType}`);
          const [lo, hi] = RANGE[inputType];
          const images = (x.data as Float32Array).subarray(0, 64 * 64);
          const codes = [
            ...Array.from(images, (v) => quant(v, ie.scale, ie.zeroPoint, inputType)),
            ...Array.from({ length: 32 * 64 }, (_, i) =>
              i < 256 ? lo + i : lo + Math.floor(rng() * (hi - lo + 1)),
            ),
          ];
          const q = codesTensor(inputType, [96, 1, 8, 8], codes);
          const xf = dequantTensor(q, ie);

          for (const engine of ['reference', 'onnxruntime'] as const) {
            const run = async (m: Model, feed: Tensor): Promise<Tensor> =>
              engine === 'reference'
                ? runModel(m, { input: feed }).logits
                : (await runOrt(m, { input: feed }, ORT_FUSED)).logits;
            const out = await run(edited, q);
            const ref = await run(model, xf);
            expect(out.dtype, engine).toBe(outputType);
            expect(out.shape).toEqual(ref.shape);
            // the integer output dequantized is the unedited float output, and quantizing that gives it back
            expect(bitEqual(dequantTensor(out, oe), ref), engine).toBe(0);
            const requant = Array.from(ref.data as Float32Array, (v) =>
              quant(v, oe.scale, oe.zeroPoint, outputType),
            );
            expect(Array.from(out.data as ArrayLike<number>), engine).toEqual(requant);
          }
        });
      }
    }
  }

  it('int8 in and out removes exactly the boundary QuantizeLinear and DequantizeLinear', () => {
    const model = models.asym;
    const before = structuredClone(model.graph.nodes);
    const { model: e } = editIoTypes(model, { inputType: 'int8', outputType: 'int8' });
    expect(model.graph.nodes).toEqual(before); // the input model is untouched
    const removed = model.graph.nodes.filter((n) => !e.graph.nodes.some((m) => m.name === n.name));
    expect(removed.map((n) => n.name)).toEqual([
      'input_QuantizeLinear',
      'logits_QuantizeLinear_Output_DequantizeLinear',
    ]);
    expect(e.graph.nodes).toHaveLength(model.graph.nodes.length - 2);
    expect(
      e.graph.nodes.some((n) => n.inputs.includes('input') && n.opType === 'QuantizeLinear'),
    ).toBe(false);
    // the Gemm's QuantizeLinear now writes the graph output
    expect(e.graph.nodes.find((n) => n.outputs.includes('logits'))?.opType).toBe('QuantizeLinear');
  });

  it('onnxruntime fuses the same integer kernels with uint8 boundaries', async () => {
    const model = models.asym;
    const { model: e } = editIoTypes(model, { inputType: 'uint8', outputType: 'uint8' });
    const fused = (plan: string[]): string[] => plan.filter((p) => p.startsWith('com.microsoft:'));
    const u = codesTensor(
      'uint8',
      [2, 1, 8, 8],
      Array.from({ length: 128 }, (_, i) => 2 * i),
    );
    const a = await runOrtWithPlan(e, { input: u }, ORT_FUSED);
    const b = await runOrtWithPlan(
      model,
      { input: tensor('float32', [2, 1, 8, 8], new Array<number>(128).fill(0)) },
      ORT_FUSED,
    );
    expect(fused(a.plan)).toEqual(fused(b.plan));
    expect(fused(a.plan)).toContain('com.microsoft:QLinearConv');
  });
});

/** x → Q → DQ → Relu → Q → DQ → y with the given parameters, int8 or uint8. */
function tinyQdq(
  xs: number,
  xzp: number,
  ys: number,
  yzp: number,
  t: IoType = 'int8',
  n = 256,
): Model {
  return new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', [1, n])
    .scalar('xs', 'float32', xs)
    .scalar('xzp', t, xzp)
    .scalar('ys', 'float32', ys)
    .scalar('yzp', t, yzp)
    .node('QuantizeLinear', ['x', 'xs', 'xzp'], ['xq'])
    .node('DequantizeLinear', ['xq', 'xs', 'xzp'], ['xd'])
    .node('Relu', ['xd'], ['r'])
    .node('QuantizeLinear', ['r', 'ys', 'yzp'], ['rq'])
    .node('DequantizeLinear', ['rq', 'ys', 'yzp'], ['y'])
    .output('y', 'float32', [1, n])
    .build();
}

describe('editIoTypes on small graphs', () => {
  it('property: every code converts exactly for random scales and zero points (reference and onnxruntime)', async () => {
    const scale = fc.float({ min: f32(1e-6), max: f32(1e3), noNaN: true, noDefaultInfinity: true });
    await fc.assert(
      fc.asyncProperty(
        scale,
        fc.integer({ min: -128, max: 127 }),
        scale,
        fc.integer({ min: -128, max: 127 }),
        fc.constantFrom(...TYPES),
        fc.constantFrom(...TYPES),
        async (xs, xzp, ys, yzp, it, ot) => {
          const m = tinyQdq(xs, xzp, ys, yzp);
          const { model: e, edits } = editIoTypes(m, { inputType: it, outputType: ot });
          // uint8 codes are the int8 codes + 128
          expect(edits.map((d) => d.zeroPoint)).toEqual([
            xzp + (it === 'uint8' ? 128 : 0),
            yzp + (ot === 'uint8' ? 128 : 0),
          ]);
          const q = codesTensor(
            it,
            [1, 256],
            Array.from({ length: 256 }, (_, i) => RANGE[it][0] + i),
          );
          const xf = dequantTensor(q, edits[0]);
          const refE = runModel(e, { x: q }).y;
          const refF = runModel(m, { x: xf }).y;
          expect(bitEqual(dequantTensor(refE, edits[1]), refF)).toBe(0);
          const ortE = (await runOrt(e, { x: q }, ORT_OPTIONS_S8)).y;
          const ortF = (await runOrt(m, { x: xf }, ORT_OPTIONS_S8)).y;
          expect(bitEqual(dequantTensor(ortE, edits[1]), ortF)).toBe(0);
          expect(bitEqual(ortE, refE)).toBe(0);
        },
      ),
      { numRuns: 12, seed: 5 },
    );
  });

  it('shiftIsExact holds for every float32 scale of the usual range and fails where k·s overflows', () => {
    fc.assert(
      fc.property(
        fc.float({ min: f32(2 ** -100), max: f32(2 ** 100), noNaN: true }),
        fc.integer({ min: -128, max: 127 }),
        (s, zp) =>
          shiftIsExact(s, zp, 'int8', 'uint8') && shiftIsExact(s, zp + 128, 'uint8', 'int8'),
      ),
      { seed: 6 },
    );
    expect(shiftIsExact(3e37, 0, 'int8', 'uint8')).toBe(false);
  });

  it('a scale the shift cannot convert exactly is refused with one error', () => {
    const m = tinyQdq(3e37, 0, 0.1, 0);
    expect(() => editIoTypes(m, { inputType: 'uint8' })).toThrow(/not exact in float32/);
    // the same type needs no conversion, so it is fine
    expect(editIoTypes(m, { inputType: 'int8' }).edits[0].converted).toBe(false);
  });

  it('a uint8 model can get int8 boundaries (zero point − 128)', () => {
    const m = tinyQdq(0.02, 10, 0.05, 128, 'uint8');
    const { model: e, edits } = editIoTypes(m, { inputType: 'int8', outputType: 'int8' });
    expect(edits.map((d) => [d.dtype, d.zeroPoint, d.converted])).toEqual([
      ['int8', -118, true],
      ['int8', 0, true],
    ]);
    const q = codesTensor(
      'int8',
      [1, 256],
      Array.from({ length: 256 }, (_, i) => i - 128),
    );
    const out = runModel(e, { x: q }).y;
    const ref = runModel(m, { x: dequantTensor(q, edits[0]) }).y;
    expect(bitEqual(dequantTensor(out, edits[1]), ref)).toBe(0);
  });

  it('a graph output that is also read inside the graph keeps a DequantizeLinear for that reader', () => {
    const m = tinyQdq(0.02, 0, 0.05, 0);
    m.graph.nodes.push({
      name: 'neg',
      opType: 'Neg',
      domain: '',
      inputs: ['y'],
      outputs: ['z'],
      attrs: {},
    });
    m.graph.outputs.push({ name: 'z', dtype: 'float32' });
    const { model: e } = editIoTypes(m, { outputType: 'int8', outputs: ['y'] });
    const q = tensor(
      'float32',
      [1, 256],
      Array.from({ length: 256 }, (_, i) => (i - 128) / 40),
    );
    const a = runModel(e, { x: q });
    const b = runModel(m, { x: q });
    expect(a.y.dtype).toBe('int8');
    expect(bitEqual(a.z, b.z)).toBe(0);
  });

  it('refuses a float model, an input also read in float, and unknown names, as NpuError', () => {
    const float = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', [1, 4])
      .node('Relu', ['x'], ['y'])
      .output('y', 'float32')
      .build();
    const err = (f: () => unknown): NpuError => {
      try {
        f();
      } catch (e) {
        if (e instanceof NpuError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    expect(err(() => editIoTypes(float, { inputType: 'int8' })).message).toMatch(
      /input 'x' is not quantized/,
    );
    expect(err(() => editIoTypes(float, { outputType: 'int8' })).message).toMatch(
      /output 'y' is not quantized/,
    );
    const shared = tinyQdq(0.02, 0, 0.05, 0);
    shared.graph.nodes.push({
      name: 'abs',
      opType: 'Abs',
      domain: '',
      inputs: ['x'],
      outputs: ['w'],
      attrs: {},
    });
    shared.graph.outputs.push({ name: 'w', dtype: 'float32' });
    expect(err(() => editIoTypes(shared, { inputType: 'uint8' })).message).toMatch(
      /also read in float by abs/,
    );
    expect(err(() => editIoTypes(shared, { inputType: 'int8', inputs: ['nope'] })).id).toBe(
      'badArgument',
    );
  });
});
