// Dynamic models run bit for bit alike in onnxruntime (fused or not) and in the reference interpreter.

import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { quantizeDynamic } from '../../quantizer/dynamic/quantize-dynamic.js';
import { runModel } from '../../reference/interpreter.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import {
  createSession,
  describeDiff,
  diffTensors,
  MatchTally,
  ORT_OPTIONS,
  runOrt,
  runSession,
} from '../helpers/ort.js';
import { convModel, mlpModel, randomFloats } from './dynamic-models.js';
import type * as ort from 'onnxruntime-node';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
/** No graph optimisation: every node runs as written (no DynamicQuantizeMatMul / MatMulIntegerToFloat fusion). */
const ORT_PLAIN = { ...ORT_OPTIONS, graphOptimizationLevel: 'disabled' as const };

/** Bit equality (Object.is: -0 and +0 differ) of every element. */
function sameBits(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

describe('DynamicQuantizeLinear: reference = onnxruntime', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await createSession(dqlModel());
  });
  afterAll(async () => session.release());

  const floats = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  // values on a coarse grid hit exact ties of x / scale and of the zero point
  const grid = fc.integer({ min: -510, max: 510 }).map((k) => k / 4);
  it('y, scale and zero point agree on random tensors, ties included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(floats, { minLength: 1, maxLength: 40 }),
          fc.array(grid, { minLength: 1, maxLength: 40 }),
        ),
        async (values) => {
          const x: Tensor = {
            dtype: 'float32',
            shape: [values.length],
            data: Float32Array.from(values),
          };
          const o = await runSession(session, { x });
          const r = runModel(dqlModel(), { x });
          for (const k of ['y', 's', 'z']) expect(sameBits(r[k], o[k]), k).toBe(true);
        },
      ),
      { numRuns: 150, seed: 18 },
    );
  });
  it('edge cases: all zero, one-signed, one value', async () => {
    for (const values of [
      [0, 0],
      [0.5, 3],
      [-2, -0.25],
      [7],
      [-1e-30, 1e-30],
      [255, 0],
      [-255, 0],
    ]) {
      const x: Tensor = {
        dtype: 'float32',
        shape: [values.length],
        data: Float32Array.from(values),
      };
      const o = await runSession(session, { x });
      const r = runModel(dqlModel(), { x });
      for (const k of ['y', 's', 'z'])
        expect(sameBits(r[k], o[k]), `${k} of ${values.join()}`).toBe(true);
    }
  });
});

let dql: Model | undefined;
function dqlModel(): Model {
  dql ??= new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', ['n'])
    .node('DynamicQuantizeLinear', ['x'], ['y', 's', 'z'])
    .output('y', 'uint8')
    .output('s', 'float32')
    .output('z', 'uint8')
    .build();
  return dql;
}

describe('quantized models: reference = onnxruntime, bit for bit', () => {
  const tally = new MatchTally('dynamic MLP / conv nets vs onnxruntime (fused and unfused)');
  afterAll(() => {
    console.log(tally.summary());
  });

  async function check(
    f: Model,
    x: Tensor,
    opts: { perTensorWeights?: boolean } = {},
  ): Promise<void> {
    const { model: q } = quantizeDynamic(f, opts);
    const ref = runModel(q, { x }).y;
    for (const options of [ORT_OPTIONS, ORT_PLAIN]) {
      const o = (await runOrt(q, { x }, options)).y;
      const d = diffTensors(ref, o);
      tally.add(d);
      expect(d.exact, `${options.graphOptimizationLevel}: ${describeDiff(d)}`).toBe(d.count);
    }
  }

  it('random MLPs (MatMul + Add, Gemm with alpha / beta), per column and per tensor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(1e6),
          batch: fc.integer({ min: 1, max: 5 }),
          inF: fc.integer({ min: 1, max: 40 }),
          hidden: fc.integer({ min: 1, max: 24 }),
          outF: fc.integer({ min: 1, max: 12 }),
          gemm: fc.option(
            fc.record({ alpha: fc.constantFrom(1, 0.5, 1.7), beta: fc.constantFrom(1, 0.25, 3) }),
            {
              nil: undefined,
            },
          ),
          perTensorWeights: fc.boolean(),
          offset: fc.constantFrom(0, 0.7, -3),
        }),
        async (s) => {
          const f = mlpModel(s);
          const x = randomFloats(`x:${s.seed}`, [s.batch, s.inF], 2, s.offset);
          await check(f, x, { perTensorWeights: s.perTensorWeights });
        },
      ),
      { numRuns: 25, seed: 5 },
    );
  });

  it('random conv nets (grouped, strided, with and without bias)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(1e6),
          batch: fc.integer({ min: 1, max: 2 }),
          group: fc.constantFrom(1, 2),
          size: fc.integer({ min: 3, max: 7 }),
          stride: fc.constantFrom(1, 2),
          bias: fc.boolean(),
          perTensorWeights: fc.boolean(),
        }),
        async (s) => {
          const spec = { ...s, inC: 2 * s.group, outC: 4 * s.group };
          const x = randomFloats(`cx:${s.seed}`, [s.batch, spec.inC, s.size, s.size], 1.5, 0.2);
          await check(convModel(spec), x, { perTensorWeights: s.perTensorWeights });
        },
      ),
      { numRuns: 15, seed: 6 },
    );
  });
});

/**
 * On the fixtures, float ops outside the quantized chains (HardSigmoid, GlobalAveragePool, LayerNormalization, ...)
 * may differ from onnxruntime by an ulp, and a dynamic scale then moves with its tensor's max. So this checks every
 * node of the quantized chains: wherever its inputs are bit-identical in both engines, so are its outputs.
 */
async function checkChains(
  file: string,
  x: Tensor,
): Promise<{ checked: Record<string, number>; floatDiffs: string[]; logits: string }> {
  const f = loadModel(join(DIR, file));
  const { model: q } = quantizeDynamic(f);
  const name = f.graph.inputs[0].name;
  const all: Model = { ...q, graph: { ...q.graph, outputs: [...q.graph.outputs] } };
  const known = new Set(q.graph.outputs.map((o) => o.name));
  for (const n of q.graph.nodes)
    for (const o of n.outputs)
      if (!known.has(o)) {
        known.add(o);
        all.graph.outputs.push({ name: o });
      }
  const ref = runModel(all, { [name]: x });
  const o = await runOrt(all, { [name]: x }, ORT_PLAIN);
  const value = (k: string): [Tensor | undefined, Tensor | undefined] =>
    q.graph.initializers.has(k)
      ? [q.graph.initializers.get(k), q.graph.initializers.get(k)]
      : k === name
        ? [x, x]
        : [ref[k], o[k]];
  const checked: Record<string, number> = {};
  const floatDiffs = new Set<string>();
  const CHAIN = new Set([
    'DynamicQuantizeLinear',
    'MatMulInteger',
    'ConvInteger',
    'Cast',
    'Mul',
    'Add',
  ]);
  for (const n of q.graph.nodes) {
    const inputsSame = n.inputs.every((i) => {
      const [a, b] = value(i);
      return a !== undefined && b !== undefined && sameBits(a, b);
    });
    if (!inputsSame) continue;
    if (!CHAIN.has(n.opType)) {
      // not under test (the reference's float kernels): where one is first to differ, say which
      if (n.outputs.some((out) => !sameBits(ref[out], o[out]))) floatDiffs.add(n.opType);
      continue;
    }
    for (const out of n.outputs)
      expect(sameBits(ref[out], o[out]), `${n.name} → ${out}`).toBe(true);
    checked[n.opType] = (checked[n.opType] ?? 0) + 1;
  }
  const fused = await runOrt(q, { [name]: x });
  const outName = q.graph.outputs[0].name;
  return {
    checked,
    floatDiffs: [...floatDiffs],
    logits: describeDiff(diffTensors(runModel(q, { [name]: x })[outName], fused[outName])),
  };
}

describe('fixtures: every quantized chain node agrees wherever its inputs agree', () => {
  const x = (): Tensor => readNpy(join(DIR, 'digits-test-x.npy'));
  it('digits CNN (ConvInteger, MatMulInteger from Gemm), 64 test images as one batch', async () => {
    const all = x();
    const xb: Tensor = {
      ...all,
      shape: [64, 1, 8, 8],
      data: (all.data as Float32Array).slice(0, 64 * 64),
    };
    const r = await checkChains('digits-cnn.onnx', xb);
    console.log(
      `digits CNN dynamic: chain nodes checked ${JSON.stringify(r.checked)}; float ops first to differ: ${r.floatDiffs.join(', ') || 'none'}; logits: ${r.logits}`,
    );
    for (const op of [
      'DynamicQuantizeLinear',
      'ConvInteger',
      'MatMulInteger',
      'Cast',
      'Mul',
      'Add',
    ])
      expect(r.checked[op] ?? 0, op).toBeGreaterThan(0);
  });
  it('digits transformer (MatMulInteger)', async () => {
    const all = x();
    const xb: Tensor = {
      ...all,
      shape: [16, 1, 8, 8],
      data: (all.data as Float32Array).slice(0, 16 * 64),
    };
    const r = await checkChains('digits-transformer.onnx', xb);
    console.log(
      `digits transformer dynamic: chain nodes checked ${JSON.stringify(r.checked)}; float ops first to differ: ${r.floatDiffs.join(', ') || 'none'}; logits: ${r.logits}`,
    );
    expect(r.checked.MatMulInteger).toBeGreaterThanOrEqual(4);
  });
});
