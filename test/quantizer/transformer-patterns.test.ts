// Graph preparation of transformer graphs: the LayerNorm and GELU patterns torch exports become single nodes.

import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { tensor, type Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import { rewriteGeluPatterns } from '../../quantizer/prepare/gelu-pattern.js';
import { rewriteLayerNormPatterns } from '../../quantizer/prepare/layernorm-pattern.js';
import { prepareGraph } from '../../quantizer/prepare/prepare-graph.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { opTypes } from '../helpers/qdq-builders.js';
import { createSession, runSession } from '../helpers/ort.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const histogram = (m: Model): Record<string, number> => {
  const h: Record<string, number> = {};
  for (const k of opTypes(m)) h[k] = (h[k] ?? 0) + 1;
  return h;
};
const PREPARED = {
  Add: 18,
  Gemm: 1,
  LayerNormalization: 5,
  MatMul: 17,
  Reshape: 10,
  Softmax: 2,
  Transpose: 8,
  'com.microsoft:Gelu': 2,
};

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++)
    m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

describe('transformer fixture preparation', () => {
  const x = readNpy(join(FIXTURES, 'digits-test-x.npy'));
  const x50 = { ...x, shape: [50, 1, 8, 8], data: (x.data as Float32Array).slice(0, 50 * 64) };

  it('opset 13 export: 5 ReduceMean/Sub/Pow/Sqrt/Div LayerNorms and 2 Erf GELUs become single nodes', () => {
    const model = loadModel(join(FIXTURES, 'digits-transformer-op13.onnx'));
    const h = histogram(model);
    expect([h.ReduceMean, h.Pow, h.Sqrt, h.Erf]).toEqual([10, 5, 5, 2]);
    const p = prepareGraph(model);
    expect(histogram(p.model)).toEqual(PREPARED);
    expect(p.log.layerNormPatterns).toHaveLength(5);
    expect(p.log.geluPatterns).toHaveLength(2);
    expect(p.model.opsetImports).toContainEqual({ domain: 'com.microsoft', version: 1 });
  });

  it('opset 17 export: LayerNormalization is kept, the 2 Erf GELUs become com.microsoft Gelu', () => {
    const model = loadModel(join(FIXTURES, 'digits-transformer.onnx'));
    expect(histogram(model).LayerNormalization).toBe(5);
    const p = prepareGraph(model);
    expect(histogram(p.model)).toEqual(PREPARED);
    expect(p.log.layerNormPatterns).toEqual([]);
  });

  it('the prepared graphs compute the same function (onnxruntime and the reference)', async () => {
    for (const file of ['digits-transformer-op13.onnx', 'digits-transformer.onnx']) {
      const model = loadModel(join(FIXTURES, file));
      const prepared = prepareGraph(model).model;
      const s0 = await createSession(model);
      const s1 = await createSession(prepared);
      const want = Object.values(await runSession(s0, { input: x50 }))[0];
      const got = Object.values(await runSession(s1, { input: x50 }))[0];
      expect(maxDiff(got, want), file).toBeLessThan(1e-4);
      expect(maxDiff(Object.values(runModel(prepared, { input: x50 }))[0], want)).toBeLessThan(
        1e-4,
      );
      await s0.release();
      await s1.release();
    }
  });
});

describe('pattern variants', () => {
  const rng = seedrandom('transformer-patterns');
  const rand = (n: number): number[] => Array.from({ length: n }, () => 2 * rng() - 1);
  const feed = { x: tensor('float32', [2, 6], rand(12)) };

  /** x·0.5 first, then ·(Erf(x·(1/√2)) + 1), constants on the left. */
  function geluVariant(opset: number, half = 0.5): Model {
    return new ModelBuilder({ opset, msOpset: null })
      .input('x', 'float32', [2, 6])
      .scalar('r2', 'float32', Math.SQRT1_2)
      .scalar('one', 'float32', 1)
      .scalar('half', 'float32', half)
      .node('Mul', ['r2', 'x'], ['s'])
      .node('Erf', ['s'], ['e'])
      .node('Add', ['one', 'e'], ['e1'])
      .node('Mul', ['x', 'half'], ['xh'])
      .node('Mul', ['e1', 'xh'], ['y'])
      .output('y', 'float32')
      .build();
  }

  it('Mul(x, 0.5)·(1 + Erf(x/√2)) in any operand order; ONNX Gelu from opset 20', () => {
    for (const [opset, key] of [
      [17, 'com.microsoft:Gelu'],
      [20, 'Gelu'],
    ] as const) {
      const m = geluVariant(opset);
      const r = rewriteGeluPatterns(m);
      expect(opTypes(r.model)).toEqual([key]);
      expect(r.model.graph.initializers.size).toBe(0);
      const want = runModel(m, feed).y;
      expect(maxDiff(runModel(r.model, feed).y, want)).toBeLessThan(1e-6);
    }
  });

  it('a wrong constant is not a GELU', () => {
    expect(rewriteGeluPatterns(geluVariant(17, 0.25)).rewritten).toEqual([]);
  });

  function layerNorm(opts: { affine: boolean; extraUse?: boolean; axes?: number[] }): Model {
    const b = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', [2, 6])
      .scalar('two', 'float32', 2)
      .scalar('eps', 'float32', 1e-5)
      .initializer('g', tensor('float32', [6], rand(6)))
      .initializer('b', tensor('float32', [6], rand(6)))
      .node('ReduceMean', ['x'], ['m'], { axes: A.ints(opts.axes ?? [-1]) })
      .node('Sub', ['x', 'm'], ['d'])
      .node('Pow', ['d', 'two'], ['p'])
      .node('ReduceMean', ['p'], ['v'], { axes: A.ints(opts.axes ?? [-1]) })
      .node('Add', ['v', 'eps'], ['ve'])
      .node('Sqrt', ['ve'], ['s'])
      .node('Div', ['d', 's'], ['n']);
    if (opts.affine) b.node('Mul', ['g', 'n'], ['gn']).node('Add', ['gn', 'b'], ['y']);
    else b.node('Identity', ['n'], ['y']);
    if (opts.extraUse === true) b.output('d', 'float32');
    return b.output('y', 'float32').build();
  }

  it('LayerNorm with γ and β (γ on the left) is one LayerNormalization with the same outputs', () => {
    const m = layerNorm({ affine: true });
    const r = rewriteLayerNormPatterns(m);
    expect(opTypes(r.model)).toEqual(['LayerNormalization']);
    const ln = r.model.graph.nodes[0];
    expect(ln.inputs).toEqual(['x', 'g', 'b']);
    expect(ln.attrs.epsilon).toEqual({ type: 'float', value: Math.fround(1e-5) });
    expect(maxDiff(runModel(r.model, feed).y, runModel(m, feed).y)).toBeLessThan(1e-5);
  });

  it('is not rewritten when an intermediate is used elsewhere or the axes are not trailing', () => {
    expect(rewriteLayerNormPatterns(layerNorm({ affine: true, extraUse: true })).rewritten).toEqual(
      [],
    );
    expect(rewriteLayerNormPatterns(layerNorm({ affine: true, axes: [0] })).rewritten).toEqual([]);
    // no γ and no β: the normalized length is unknown without shapes, the pattern stays
    expect(rewriteLayerNormPatterns(layerNorm({ affine: false })).rewritten).toEqual([]);
  });
});
