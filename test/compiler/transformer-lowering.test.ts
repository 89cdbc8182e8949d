// Lowering of the transformer ops: parameter blocks, GELU tables, act × act matmul IR, refusals and row limits.

import { describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { NpuOp } from '../../compiler/ir.js';
import { compile } from '../../compiler/pipeline.js';
import { packInt8ILayerNormParams, packInt8ISoftmaxParams } from '../../isa/ibert-params.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
} from '../../reference/ibert/int8-kernels.js';
import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';
import { A } from '../helpers/model-builder.js';
import { QdqBuilder } from '../helpers/qdq-builders.js';
import { target } from '../e2e/npu-run.js';
import { opts } from './compile-helpers.js';
import { geluModel, layerNormModel, matMulModel, softmaxModel } from './transformer-harness.js';

const MODES = ['float', 'fixed'] as const;
const X = { scale: 0.0625, zp: -3 };
const x8 = (q: { scale: number; zp: number }) => ({
  scale: Math.fround(q.scale),
  zeroPoint: q.zp,
  dtype: 'int8' as const,
});
const opsOf = (m: Parameters<typeof compile>[0], mode: 'float' | 'fixed'): NpuOp[] =>
  compile(m, opts('edge', mode)).graph.ops;

/** The float32 value of a scale, as a double (the fixed-mode multiplier is computed in double from f32 scales). */
const f64 = (v: number): number => Math.fround(v);

describe.each(MODES)('%s mode', (mode) => {
  it('softmax: rows × len of the last axis, the block of paramsForInt8ISoftmax', () => {
    const y = { scale: 1 / 256, zp: -128 };
    const [op] = opsOf(softmaxModel([2, 3, 10], X, y), mode);
    expect(op.kind === 'ibert' && [op.fn, op.rows, op.len]).toEqual(['softmax', 6, 10]);
    const want = packInt8ISoftmaxParams(paramsForInt8ISoftmax(x8(X), x8(y), mode, 8));
    expect(op.kind === 'ibert' && Array.from(op.params)).toEqual(Array.from(want));
  });

  it('layernorm: γ and β in the block of paramsForInt8ILayerNorm', () => {
    const y = { scale: 0.03, zp: 4 };
    const g = [0.5, -1.25, 2, 1, 0.75, 1.5];
    const b = [0.1, 0, -0.3, 0.2, 0.5, -1];
    const [op] = opsOf(layerNormModel([4, 6], X, y, g, b), mode);
    expect(op.kind === 'ibert' && [op.fn, op.rows, op.len]).toEqual(['layernorm', 4, 6]);
    const p = paramsForInt8ILayerNorm(
      x8(X),
      x8(y),
      mode,
      Float32Array.from(g),
      Float32Array.from(b),
    );
    expect(op.kind === 'ibert' && Array.from(op.params)).toEqual(
      Array.from(packInt8ILayerNormParams(p)),
    );
  });

  it('gelu: the table is runInt8IGelu of codes −128..127', () => {
    const y = { scale: 0.02, zp: -90 };
    const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    const want = Array.from(runInt8IGelu(codes, paramsForInt8IGelu(x8(X), x8(y), mode)));
    for (const ms of [false, true]) {
      const [op] = opsOf(geluModel([3, 5], X, y, ms), mode);
      expect(op.kind === 'lut' && Array.from(op.table)).toEqual(want);
    }
  });

  it('act × act matmul: transpose of B (last two axes), then a batched matmul with the per-tensor multiplier', () => {
    const [b, y] = [
      { scale: 0.02, zp: 5 },
      { scale: 0.3, zp: -2 },
    ];
    const ops = opsOf(matMulModel([2, 3, 4, 5], [2, 3, 5, 6], X, b, y), mode);
    expect(ops.map((o) => o.kind)).toEqual(['move', 'matmul']);
    const [t, mm] = ops;
    expect(t.kind === 'move' && [t.what, t.perm]).toEqual(['transpose', [0, 1, 3, 2]]);
    if (mm.kind !== 'matmul') throw new Error('no matmul');
    expect([mm.batch, mm.m, mm.n, mm.k, mm.wZp, mm.inputs[1]]).toEqual([6, 4, 6, 5, 5, t.output]);
    const rq = mm.epilogue.requant;
    if (rq.mode === 'float') {
      const f = Math.fround;
      const m = f(f(f(X.scale) * f(b.scale)) / f(y.scale));
      expect(Array.from(rq.multiplier)).toEqual(new Array<number>(6).fill(m));
    } else {
      const q = quantizeMultiplier((f64(X.scale) * f64(b.scale)) / f64(y.scale));
      expect(Array.from(rq.multiplier)).toEqual(new Array<number>(6).fill(q.multiplier));
      expect(Array.from(rq.shift)).toEqual(new Array<number>(6).fill(q.shift));
    }
  });
});

describe('limits', () => {
  it('softmax along another axis stays on the host (NPU5001 without cpuFallback)', () => {
    const m = new QdqBuilder({ opset: 17 })
      .dqInput('x', 'int8', [3, 4], 0.1, 0)
      .node('Softmax', ['x'], ['s'], { axis: A.int(0) })
      .q('s', 'y', 'int8', 1 / 256, -128)
      .build();
    const r = compile(m, opts('edge', 'float', true));
    expect(r.placement.host.map((h) => h.reason)).toEqual([
      'softmax along an axis other than the last is not supported',
    ]);
    expect(() => compile(m, opts())).toThrow(NpuError);
  });

  it('a row that does not fit SRAM twice is error 5003', () => {
    const m = softmaxModel([2, 1500], X, { scale: 1 / 256, zp: -128 });
    const hw = target('tiny', 'float');
    let err: unknown;
    try {
      compile(m, { hw, requant: 'float', cpuFallback: false });
    } catch (e) {
      err = e;
    }
    expect(err instanceof NpuError && err.id).toBe('tileTooLarge');
  });
});
