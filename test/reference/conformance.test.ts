// Runs ONNX's backend node tests (test/fixtures/onnx-node) through the reference interpreter.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { isIntegerDType, shapeStr } from '../../common/tensor.js';
import { loadModel } from '../../onnx/model-io.js';
import { decodeTensorProtoFile } from '../../onnx/tensor-proto.js';
import { runModel } from '../../reference/interpreter.js';
import { TOLERANCE_OVERRIDES } from './conformance-tolerances.js';

const ROOT = join(import.meta.dirname, '../fixtures/onnx-node');
const DEFAULT_RTOL = 1e-3;
const DEFAULT_ATOL = 1e-7;

const tests = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name.startsWith('test_'))
  .map((d) => d.name)
  .sort();

function readSet(dir: string, prefix: 'input' | 'output'): Tensor[] {
  const out: Tensor[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}_${i}.pb`)); i++) {
    const file = join(dir, `${prefix}_${i}.pb`);
    out.push(decodeTensorProtoFile(readFileSync(file), file).tensor);
  }
  return out;
}

/** The first element that differs beyond tolerance (integers and bools: exactly), or undefined. */
function firstMismatch(ours: Tensor, want: Tensor, rtol: number, atol: number): string | undefined {
  if (ours.dtype !== want.dtype) return `dtype ${ours.dtype}, expected ${want.dtype}`;
  if (shapeStr(ours.shape) !== shapeStr(want.shape))
    return `shape ${shapeStr(ours.shape)}, expected ${shapeStr(want.shape)}`;
  const exact = isIntegerDType(want.dtype);
  for (let i = 0; i < want.data.length; i++) {
    const a = ours.data[i];
    const b = want.data[i];
    if (exact) {
      if (a !== b) return `element ${i}: ${a}, expected ${b}`;
      continue;
    }
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return `element ${i}: ${x}, expected ${y}`;
  }
  return undefined;
}

describe('ONNX node conformance (reference interpreter, float mode)', () => {
  test('every tolerance override names an existing test', () => {
    for (const s of TOLERANCE_OVERRIDES) expect(tests).toContain(s.test);
  });

  for (const name of tests) {
    test(name, () => {
      const dir = join(ROOT, name);
      const model = loadModel(join(dir, 'model.onnx'));
      const inputs = readSet(join(dir, 'test_data_set_0'), 'input');
      const expected = readSet(join(dir, 'test_data_set_0'), 'output');
      // graph inputs that are initializers (old IR) are not fed; the data files follow the remaining inputs in order
      const fed = model.graph.inputs.filter((i) => !model.graph.initializers.has(i.name));
      expect(inputs.length).toBe(fed.length);
      const feeds = Object.fromEntries(fed.map((info, i) => [info.name, inputs[i]]));
      const results = runModel(model, feeds, { mode: 'float' });
      const tol = TOLERANCE_OVERRIDES.find((t) => t.test === name);
      expect(expected.length).toBe(model.graph.outputs.length);
      model.graph.outputs.forEach((o, i) => {
        const ours = results[o.name];
        expect(ours, `output '${o.name}'`).toBeDefined();
        const problem = firstMismatch(
          ours,
          expected[i],
          tol?.rtol ?? DEFAULT_RTOL,
          tol?.atol ?? DEFAULT_ATOL,
        );
        expect(problem, `output '${o.name}'`).toBeUndefined();
      });
    });
  }
});
