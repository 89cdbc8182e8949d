// Transformer ops through npuc → npusim, bit for bit against the reference with its integer kernels (both modes).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toNumbers } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import type { HwName, Mode } from '../e2e/npu-run.js';
import { countOps } from '../helpers/qdq-builders.js';
import {
  type QParams,
  addConstModel,
  codes,
  geluModel,
  layerNormModel,
  matMulModel,
  matMulTransposedModel,
  runBoth,
  softmaxModel,
} from './transformer-harness.js';

const TARGETS: [Mode, HwName][] = [
  ['float', 'edge'],
  ['fixed', 'edge'],
  ['float', 'tiny'],
  ['fixed', 'tiny'],
];
const RUNS = 10;
const X = { scale: 0.04, zp: 2 };

const qp = (lo: number, hi: number): fc.Arbitrary<QParams> =>
  fc.record({
    scale: fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround),
    zp: fc.integer({ min: -20, max: 20 }),
  });
const dims = (n: number, max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max }), { minLength: n, maxLength: n });

/** Compiles and simulates; the NPU graph has `kind` and no host op; the codes equal the reference's. */
function exact(
  m: Model,
  feeds: Parameters<typeof runBoth>[1],
  mode: Mode,
  hw: HwName,
  kind: string,
) {
  const r = runBoth(m, feeds, mode, hw);
  const kinds = r.result.graph.ops.map((o) => o.kind);
  expect(kinds).toContain(kind);
  expect(kinds).not.toContain('host');
  expect(toNumbers(r.got)).toEqual(toNumbers(r.want));
  return r;
}

describe.each(TARGETS)('%s mode on %s', (mode, hw) => {
  it('softmax along the last axis = vec.softmax', () => {
    fc.assert(
      fc.property(
        dims(2, 6),
        fc.integer({ min: 1, max: 40 }),
        qp(0.005, 0.3),
        qp(0.002, 0.02),
        (lead, len, x, y) => {
          const shape = [...lead, len];
          exact(
            softmaxModel(shape, x, y),
            { x_q: codes(shape, `s${shape.join()}`) },
            mode,
            hw,
            'ibert',
          );
        },
      ),
      { numRuns: RUNS, seed: 19 },
    );
  });

  it('layernorm over the last axis (γ, β folded into the block) = vec.layernorm', () => {
    fc.assert(
      fc.property(
        dims(2, 5),
        fc.integer({ min: 2, max: 48 }),
        qp(0.005, 0.2),
        qp(0.005, 0.1),
        fc.integer(),
        (lead, d, x, y, seed) => {
          const shape = [...lead, d];
          const r = (i: number): number => (Math.imul(seed ^ i, 2654435761) >>> 0) / 2 ** 32;
          const gamma = Array.from(
            { length: d },
            (_, i) => (r(i) < 0.2 ? -1 : 1) * (0.2 + 2 * r(i + 99)),
          );
          const beta = Array.from({ length: d }, (_, i) => r(i + 7) - 0.5);
          exact(
            layerNormModel(shape, x, y, gamma, beta),
            { x_q: codes(shape, `l${seed}`) },
            mode,
            hw,
            'ibert',
          );
        },
      ),
      { numRuns: RUNS, seed: 19 },
    );
  });

  it('gelu (ONNX opset 20 and com.microsoft) = a vec.lut table of the integer kernel', () => {
    fc.assert(
      fc.property(dims(2, 9), qp(0.005, 0.2), qp(0.005, 0.1), fc.boolean(), (shape, x, y, ms) => {
        exact(
          geluModel(shape, x, y, ms),
          { x_q: codes(shape, `g${shape.join()}`) },
          mode,
          hw,
          'lut',
        );
      }),
      { numRuns: RUNS, seed: 19 },
    );
  });

  it('activation × activation MatMul, batched over 3-D and 4-D = transpose of B + matmul', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }).chain((r) => dims(r, 3)),
        dims(3, 12),
        qp(0.005, 0.1),
        qp(0.005, 0.1),
        qp(0.02, 0.5),
        (batch, [m, k, n], a, b, y) => {
          const [as, bs] = [
            [...batch, m, k],
            [...batch, k, n],
          ];
          const feeds = { a_q: codes(as, `a${as.join()}`), b_q: codes(bs, `b${bs.join()}`) };
          exact(matMulModel(as, bs, a, b, y), feeds, mode, hw, 'matmul');
        },
      ),
      { numRuns: RUNS, seed: 19 },
    );
  });

  it('B = a transpose of an activation: the two transposes fold into one copy', () => {
    const PERMS = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    fc.assert(
      fc.property(dims(4, 7), fc.constantFrom(...PERMS), qp(0.01, 0.1), (d, perm, y) => {
        const [batch, m, k, n] = d;
        const bShape = [batch, k, n];
        const raw = new Array<number>(3);
        perm.forEach((p, i) => (raw[p] = bShape[i])); // bt.shape[i] = raw.shape[perm[i]]
        const feeds = {
          a_q: codes([batch, m, k], `ta${d.join()}`),
          braw_q: codes(raw, `tb${d.join()}`),
        };
        const model = matMulTransposedModel([batch, m, k], raw, perm, X, { scale: 0.03, zp: 1 }, y);
        const r = exact(model, feeds, mode, hw, 'matmul');
        const copies = r.result.graph.ops.filter((o) => o.kind === 'move' && !o.view);
        expect(copies).toHaveLength(1);
      }),
      { numRuns: RUNS, seed: 19 },
    );
  });

  it('Add of a constant broadcast over the rows (bias after MatMul) = vec.add with B from the constant image', () => {
    fc.assert(
      fc.property(dims(3, 6), qp(0.01, 0.1), qp(0.02, 0.2), (shape, x, y) => {
        const m = addConstModel(shape, shape.slice(-1), x, y, `c${shape.join()}`);
        exact(m, { x_q: codes(shape, `x${shape.join()}`) }, mode, hw, 'add');
      }),
      { numRuns: RUNS, seed: 19 },
    );
  });
});

describe('several tiles on a 2 KiB SRAM (whole rows per tile; Bᵀ blocks per batch and column block)', () => {
  it.each(['float', 'fixed'] as const)('%s mode', (mode) => {
    const tiles = (r: ReturnType<typeof exact>, kind: string): number =>
      r.result.tiling.get(r.result.graph.ops.find((o) => o.kind === kind)!.id)!.tiles.length;
    const sm = exact(
      softmaxModel([4, 16, 40], X, { scale: 1 / 256, zp: -128 }),
      { x_q: codes([4, 16, 40], 'S') },
      mode,
      'tiny',
      'ibert',
    );
    expect(tiles(sm, 'ibert')).toBeGreaterThan(1);
    const g = Array.from({ length: 48 }, (_, i) => 0.5 + i / 48);
    const ln = exact(
      layerNormModel(
        [3, 20, 48],
        X,
        { scale: 0.03, zp: 0 },
        g,
        g.map((v) => v - 1),
      ),
      { x_q: codes([3, 20, 48], 'L') },
      mode,
      'tiny',
      'ibert',
    );
    expect(tiles(ln, 'ibert')).toBeGreaterThan(1);
    const mm = exact(
      matMulModel([2, 24, 40], [2, 40, 24], X, { scale: 0.03, zp: -1 }, { scale: 0.4, zp: 3 }),
      { a_q: codes([2, 24, 40], 'A'), b_q: codes([2, 40, 24], 'B') },
      mode,
      'tiny',
      'matmul',
    );
    expect(tiles(mm, 'matmul')).toBeGreaterThan(2);
  });
});

describe('lowering', () => {
  it('QDQ Softmax / LayerNormalization / Gelu become the I-BERT ops before lowering (no float op left)', () => {
    const m = softmaxModel([2, 8], { scale: 0.1, zp: 0 }, { scale: 1 / 256, zp: -128 });
    const r = runBoth(m, { x_q: codes([2, 8], 'z') }, 'float', 'edge');
    expect(countOps(r.result.model, 'npu.ref:ISoftmax')).toBe(1);
    expect(countOps(r.result.model, 'Softmax')).toBe(0);
  });
});
