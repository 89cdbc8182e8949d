// encodeModel output is a model onnxruntime accepts and runs identically to the original file.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { decodeModel, encodeModel } from '../../onnx/model-io.js';
import { decodeTensorProtoFile } from '../../onnx/tensor-proto.js';
import { fromOrt, toOrt } from '../helpers/ort.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/onnx-node');
const dirs = readdirSync(FIXTURES).filter((d) => d.startsWith('test_'));
const OPTS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  logSeverityLevel: 3,
};

async function run(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, Tensor>> {
  const s = await ort.InferenceSession.create(bytes, OPTS);
  try {
    const r = await s.run(feeds);
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fromOrt(v)]));
  } finally {
    await s.release();
  }
}

test('every conformance model re-encoded by encodeModel gives the same onnxruntime outputs', async () => {
  let ran = 0;
  for (const dir of dirs) {
    const original = new Uint8Array(readFileSync(join(FIXTURES, dir, 'model.onnx')));
    const model = decodeModel(original);
    const feeds: Record<string, ort.Tensor> = {};
    model.graph.inputs.forEach((inp, i) => {
      const f = join(FIXTURES, dir, 'test_data_set_0', `input_${i}.pb`);
      feeds[inp.name] = toOrt(decodeTensorProtoFile(readFileSync(f), f).tensor);
    });
    let expected: Record<string, Tensor>;
    try {
      expected = await run(original, feeds);
    } catch {
      continue; // an op this onnxruntime build does not run; nothing to compare
    }
    const got = await run(encodeModel(model), feeds);
    expect(got, dir).toEqual(expected);
    ran++;
  }
  expect(ran).toBeGreaterThan(150);
});
