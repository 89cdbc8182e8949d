// Shape inference of conv/pool windows against onnxruntime's output shapes over random geometry.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { tensor, zeros } from '../../common/tensor.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { runOrt } from '../helpers/ort.js';

const geometry = fc
  .record({
    op: fc.constantFrom('MaxPool', 'AveragePool', 'Conv'),
    n: fc.integer({ min: 1, max: 12 }),
    k: fc.integer({ min: 1, max: 4 }),
    s: fc.integer({ min: 1, max: 3 }),
    d: fc.integer({ min: 1, max: 2 }),
    pb: fc.integer({ min: 0, max: 3 }),
    pe: fc.integer({ min: 0, max: 3 }),
    ceil: fc.boolean(),
    autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
  })
  .map((g) => ({
    ...g,
    // onnxruntime: pads smaller than the kernel, no dilation/ceil_mode on AveragePool here, no ceil on Conv
    pb: Math.min(g.pb, g.k - 1),
    pe: Math.min(g.pe, g.k - 1),
    // and no dilation with SAME auto_pad
    d: g.op === 'AveragePool' || g.autoPad.startsWith('SAME') ? 1 : g.d,
    ceil: g.op === 'Conv' ? false : g.ceil,
  }))
  .filter((g) => {
    const ek = (g.k - 1) * g.d + 1;
    if (g.autoPad === 'NOTSET') return g.n + g.pb + g.pe >= ek;
    if (g.autoPad === 'VALID') return g.n >= ek;
    // SAME: onnxruntime refuses a negative total padding (kernel smaller than the stride leaves gaps)
    return (Math.ceil(g.n / g.s) - 1) * g.s + ek >= g.n;
  });

test('MaxPool / AveragePool / Conv output shapes equal onnxruntime', async () => {
  await fc.assert(
    fc.asyncProperty(geometry, async (g) => {
      const attrs = {
        kernel_shape: A.ints([g.k]),
        strides: A.ints([g.s]),
        ...(g.autoPad === 'NOTSET'
          ? { pads: A.ints([g.pb, g.pe]) }
          : { auto_pad: A.string(g.autoPad) }),
        ...(g.d > 1 ? { dilations: A.ints([g.d]) } : {}),
        ...(g.ceil ? { ceil_mode: A.int(1) } : {}),
      };
      const b = new ModelBuilder({ opset: 19, msOpset: null }).input('x', 'float32', [1, 2, g.n]);
      if (g.op === 'Conv') b.initializer('w', zeros('float32', [3, 2, g.k]));
      const m = b
        .node(g.op, g.op === 'Conv' ? ['x', 'w'] : ['x'], ['y'], attrs)
        .output('y', 'float32')
        .build();
      const ours = inferShapes(m).get('y')?.shape;
      const ort = await runOrt(m, { x: zeros('float32', [1, 2, g.n]) });
      expect(ours).toEqual(ort['y'].shape);
    }),
    { numRuns: 150, seed: 20261123 },
  );
});

test('Slice output shapes equal onnxruntime (negative, clamped and reversed ranges)', async () => {
  const big = 2 ** 40;
  const bound = fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constantFrom(big, -big));
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 7 }),
      bound,
      bound,
      fc.constantFrom(-1, 0),
      fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
      async (n, start, end, axis, step) => {
        const i64 = (v: number) => tensor('int64', [1], [BigInt(v)]);
        const m = new ModelBuilder({ opset: 13, msOpset: null })
          .input('x', 'float32', [2, n])
          .initializer('s', i64(start))
          .initializer('e', i64(end))
          .initializer('a', i64(axis))
          .initializer('st', i64(step))
          .node('Slice', ['x', 's', 'e', 'a', 'st'], ['y'])
          .output('y', 'float32')
          .build();
        const ort = await runOrt(m, { x: zeros('float32', [2, n]) });
        expect(inferShapes(m).get('y')?.shape).toEqual(ort['y'].shape);
      },
    ),
    { numRuns: 150, seed: 7 },
  );
});

test('Resize (scales) output shapes equal onnxruntime', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 40 }).map((q) => Math.fround(q / 8)),
      async (n, scale) => {
        const m = new ModelBuilder({ opset: 13, msOpset: null })
          .input('x', 'float32', [1, 1, n, 2])
          .initializer('scales', tensor('float32', [4], [1, 1, scale, 1]))
          .node('Resize', ['x', '', 'scales'], ['y'], { mode: A.string('nearest') })
          .output('y', 'float32')
          .build();
        const ort = await runOrt(m, { x: zeros('float32', [1, 1, n, 2]) });
        expect(inferShapes(m).get('y')?.shape).toEqual(ort['y'].shape);
      },
    ),
    { numRuns: 100, seed: 11 },
  );
});

test('MatMul and Add broadcasting shapes equal onnxruntime', async () => {
  const dims = (min: number) =>
    fc.array(fc.constantFrom(1, 2, 3), { minLength: min, maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(dims(1), dims(1), fc.constantFrom('MatMul', 'Add'), async (a, b, op) => {
      if (op === 'MatMul') {
        // make the inner dimensions agree; broadcasting of the batch dims is what is tested
        if (b.length === 1) b[0] = a[a.length - 1]!;
        else b[b.length - 2] = a[a.length - 1]!;
      }
      const m = new ModelBuilder({ opset: 13, msOpset: null })
        .input('a', 'float32', a)
        .input('b', 'float32', b)
        .node(op, ['a', 'b'], ['y'])
        .output('y', 'float32')
        .build();
      let ort: number[] | 'error';
      try {
        ort = [...(await runOrt(m, { a: zeros('float32', a), b: zeros('float32', b) }))['y'].shape];
      } catch {
        ort = 'error';
      }
      let ours: unknown;
      try {
        ours = inferShapes(m).get('y')?.shape;
      } catch (e) {
        ours = (e as { id?: string }).id === 'shapeMismatch' ? 'error' : e;
      }
      expect(ours).toEqual(ort);
    }),
    { numRuns: 150, seed: 3 },
  );
});
