// Shape inference on real exported models, before and after QDQ lowering, against the shapes the
// reference interpreter actually produces.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { loadModel } from '../../onnx/model-io.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const x = readNpy(join(DIR, 'digits-test-x.npy'));
const x4 = { ...x, shape: [4, 1, 8, 8], data: x.data.slice(0, 4 * 64) } as typeof x;

describe.each(['digits-cnn.onnx', 'digits-cnn.qdq.onnx', 'digits-cnn.torch-qdq.onnx'])(
  '%s',
  (file) => {
    it('every value gets a static shape and dtype equal to what the interpreter computes (batch fixed to 4)', () => {
      const model = loadModel(join(DIR, file));
      const prepared = prepareModel(model); // constant folding + QDQ lowering
      const values = runPrepared(
        prepared,
        { [model.graph.inputs[0].name]: x4 },
        { keepIntermediates: true },
      );
      const batchDim = model.graph.inputs[0].shape![0];
      const fixed = typeof batchDim === 'string' ? { [batchDim]: 4 } : {};
      const inferred = inferShapes(prepared.model, fixed);
      let checked = 0;
      for (const node of prepared.model.graph.nodes) {
        for (const name of node.outputs) {
          const actual = values[name];
          if (actual === undefined) continue;
          const info = inferred.get(name);
          expect(info?.shape, `${node.opType} ${name}`).toEqual(actual.shape);
          expect(info?.dtype, `${node.opType} ${name}`).toBe(actual.dtype);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(5);
    });
  },
);
