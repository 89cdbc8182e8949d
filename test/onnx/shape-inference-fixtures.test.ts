// Shape inference against the ONNX conformance tests: the inferred output shape equals output_0.pb's shape.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadModel } from '../../onnx/model-io.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { decodeTensorProtoFile } from '../../onnx/tensor-proto.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/onnx-node');
const dirs = readdirSync(FIXTURES).filter((d) => d.startsWith('test_'));

test.each(dirs)('%s', (dir) => {
  const model = loadModel(join(FIXTURES, dir, 'model.onnx'));
  // the file's own output value infos would hide our mistakes: infer from inputs alone
  for (const o of model.graph.outputs) {
    delete o.shape;
    delete o.dtype;
  }
  model.graph.valueInfo.clear();
  // Reshape's shape, Pad's pads, Resize's scales are graph inputs in these tests; in real models they are
  // constants, which is what static inference needs: feed them as initializers
  const op = model.graph.nodes[model.graph.nodes.length - 1].opType;
  if (op === 'Reshape' || op === 'Pad' || op === 'Resize') {
    for (const [i, inp] of [...model.graph.inputs.entries()].reverse()) {
      if (i === 0) continue;
      const t = decodeTensorProtoFile(
        readFileSync(join(FIXTURES, dir, 'test_data_set_0', `input_${i}.pb`)),
      ).tensor;
      model.graph.initializers.set(inp.name, t);
      model.graph.inputs.splice(i, 1);
    }
  }
  const infos = inferShapes(model);
  model.graph.outputs.forEach((o, i) => {
    const f = join(FIXTURES, dir, 'test_data_set_0', `output_${i}.pb`);
    const expected = decodeTensorProtoFile(readFileSync(f), f).tensor;
    const got = infos.get(o.name);
    expect(got?.shape, o.name).toEqual(expected.shape);
    expect(got?.dtype, o.name).toBe(expected.dtype);
  });
});
