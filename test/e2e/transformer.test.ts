// The digits transformer end to end: npuq → npuc (warboy-2pe, no host fallback) → npusim, bit-exact against the
// reference interpreter with its I-BERT integer kernels in both requantization modes; top-1 on the held-out digits.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { top1 } from '../../common/metrics.js';
import { readNpy } from '../../common/npy.js';
import { toNumbers, type Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { CompileResult } from '../../compiler/state.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { readProgram, writeProgram } from '../../isa/program-file.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { quantizeModel } from '../../quantizer/quantize-model.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { NpuSession } from '../../runtime/session.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const x = readNpy(join(DIR, 'digits-test-x.npy'));
const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));
const first = (n: number): Tensor => ({
  dtype: 'float32',
  shape: [n, 1, 8, 8],
  data: (x.data as Float32Array).slice(0, n * 64),
});
const out = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];

let q: Model;
beforeAll(async () => {
  // the fixture's input is [batch,1,8,8]: the calibration images as they are (test/fixtures/models/README.md)
  q = (
    await quantizeModel(
      loadModel(join(DIR, 'digits-transformer.onnx')),
      readNpy(join(DIR, 'digits-calib-x.npy')),
    )
  ).model;
});

function build(
  mode: 'float' | 'fixed',
  preset = 'warboy-2pe',
): { r: CompileResult; s: NpuSession } {
  const hw = { ...loadHwConfig(preset), requant: mode };
  const r = compile(q, { hw, requant: mode, cpuFallback: false, fixedDims: { batch: 1 } });
  return { r, s: NpuSession.load(writeProgram(readProgram(writeProgram(r.program!)))) };
}

describe('digits transformer (2 encoder layers, 4 heads, d = 32)', () => {
  it.each([
    ['warboy-2pe', 'float'],
    ['warboy-2pe', 'fixed'],
    ['edge', 'fixed'],
  ] as const)(
    'on %s, %s mode: all on the NPU, npusim = reference bit for bit (24 images)',
    (preset, mode) => {
      const { r, s } = build(mode, preset);
      expect(r.placement.host).toEqual([]);
      const kinds = r.graph.ops.map((o) => o.kind);
      // 5 LayerNorms + 2 softmaxes as row kernels, Q·Kᵀ and attn·V twice, the two GELUs as tables
      expect(kinds.filter((k) => k === 'ibert')).toHaveLength(7);
      expect(kinds.filter((k) => k === 'matmul')).toHaveLength(4);
      expect(kinds.filter((k) => k === 'lut')).toHaveLength(2);
      // 8 head transposes + the 4 matmuls' Bᵀ, each Bᵀ folded into the K / V head transpose before it: 8 copies
      const copies = r.graph.ops.filter((o) => o.kind === 'move' && !o.view);
      expect(copies).toHaveLength(8);
      const input = first(24);
      const got = s.run({ input });
      const want = out(runPrepared(prepareModel(q, { integerKernels: true }), { input }, { mode }));
      expect(toNumbers(out(got.outputs))).toEqual(toNumbers(want));
      expect(got.stats.inferences).toBe(24);
    },
  );

  it.each(['float', 'fixed'] as const)(
    'on warboy-2pe, %s mode: top-1 of the NPU on the 397 held-out digits equals the reference and is within 1.5 pp of float',
    (mode) => {
      const { r, s } = build(mode);
      const got = out(s.run({ input: x }).outputs);
      const want = out(
        runPrepared(prepareModel(q, { integerKernels: true }), { input: x }, { mode }),
      );
      expect(toNumbers(got)).toEqual(toNumbers(want));
      const acc = top1(got, labels);
      const float = top1(
        out(
          runPrepared(prepareModel(loadModel(join(DIR, 'digits-transformer.onnx'))), { input: x }),
        ),
        labels,
      );
      const t = r.estimate.totals;
      console.log(
        `digits transformer, ${mode} mode: NPU top-1 ${(100 * acc).toFixed(2)}% (float ${(100 * float).toFixed(2)}%), ${r.graph.ops.length} NPU ops, estimate ${t.cycles} cycles/inference`,
      );
      expect(Math.abs(acc - float)).toBeLessThanOrEqual(0.015);
    },
  );

  it('the opset-13 export (LayerNorm and GELU as op patterns) compiles the same way and is bit-exact (fixed mode)', async () => {
    const m13 = loadModel(join(DIR, 'digits-transformer-op13.onnx'));
    const q13 = (await quantizeModel(m13, readNpy(join(DIR, 'digits-calib-x.npy')))).model;
    const hw = { ...loadHwConfig('warboy-2pe'), requant: 'fixed' as const };
    const r = compile(q13, { hw, requant: 'fixed', cpuFallback: false, fixedDims: { batch: 1 } });
    expect(r.graph.ops.filter((o) => o.kind === 'ibert')).toHaveLength(7);
    const input = first(24);
    const got = NpuSession.load(writeProgram(r.program!)).run({ input });
    const want = out(
      runPrepared(prepareModel(q13, { integerKernels: true }), { input }, { mode: 'fixed' }),
    );
    expect(toNumbers(out(got.outputs))).toEqual(toNumbers(want));
  });
});
