// The bundled digits models go through the front and middle passes: all on the NPU, fused, exact parameters.

import { describe, expect, test } from 'vitest';
import { loadModel } from '../../onnx/model-io.js';
import type { Model } from '../../onnx/graph.js';
import { compile } from '../../compiler/pipeline.js';
import { compileReport } from '../../compiler/report.js';
import type { ConvOp, GemmOp, NpuOp } from '../../compiler/ir.js';
import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';
import { opts } from './compile-helpers.js';

const MODELS = ['digits-cnn.qdq.onnx', 'digits-cnn.torch-qdq.onnx'];
const load = (f: string): Model => loadModel(`test/fixtures/models/${f}`);
const f32 = Math.fround;

const scalar = (m: Model, name: string): number => Number(m.graph.initializers.get(name)!.data[0]);

/** The multipliers of a conv / gemm recomputed from its ONNX node's scale initializers. */
function expectedMultipliers(m: Model, op: ConvOp | GemmOp, mode: 'float' | 'fixed'): number[] {
  const node = m.graph.nodes.find((n) => n.name === op.nodes[0])!;
  const yScale = node.opType === 'QGemm' ? node.inputs[7] : node.inputs[6];
  const [sx, sy] = [scalar(m, node.inputs[1]), scalar(m, yScale)];
  const sw = Array.from(m.graph.initializers.get(node.inputs[4])!.data as Float32Array);
  const channels = op.epilogue.realMultiplier.length;
  return Array.from({ length: channels }, (_, c) => {
    const w = sw[sw.length === 1 ? 0 : c];
    return mode === 'float' ? f32(f32(sx * w) / sy) : quantizeMultiplier((sx * w) / sy).multiplier;
  });
}

const kinds = (ops: NpuOp[]): string[] =>
  ops.map((o) => (o.kind === 'move' && o.view ? 'view' : o.kind));

describe.each(MODELS)('%s', (file) => {
  test.each([
    ['edge', 'float'],
    ['warboy-2pe', 'fixed'],
  ] as const)('on %s in %s mode every node runs on the NPU, fused', (preset, mode) => {
    const r = compile(load(file), opts(preset, mode));
    expect(r.placement.host).toEqual([]);
    const ops = r.graph.ops;
    const convs = ops.filter((o): o is ConvOp => o.kind === 'conv');
    const gemms = ops.filter((o): o is GemmOp => o.kind === 'gemm');
    expect(convs).toHaveLength(4);
    expect(gemms).toHaveLength(1);
    // every conv and the gemm carry bias + requantization in their epilogue (one per output channel)
    for (const op of [...convs, ...gemms]) {
      const channels = op.kind === 'conv' ? op.geom.outC : op.n;
      expect(op.epilogue.bias).toHaveLength(channels);
      expect(op.epilogue.requant.mode).toBe(mode);
      expect(Array.from(op.epilogue.requant.multiplier)).toEqual(
        expectedMultipliers(r.model, op, mode),
      );
    }
    // the depthwise conv is grouped; the residual add, the pool (and in the QDQ model the hardswish mul) are vector ops
    expect(convs.map((c) => c.geom.groups)).toEqual([1, 16, 1, 1]);
    expect(convs[3].geom.strideH).toBe(2);
    const real = kinds(ops).filter((k) => k !== 'view');
    expect(real.filter((k) => k === 'add' || k === 'mul' || k === 'pool')).toEqual(
      file.includes('torch') ? ['add', 'pool'] : ['add', 'mul', 'pool'],
    );
    // no Q / DQ left: the float boundary is the runtime's
    expect(r.graph.inputs[0].quant).toBeDefined();
    expect(r.graph.outputs[0].quant).toBeDefined();
    expect(ops.some((o) => o.kind === 'host')).toBe(false);
  });

  test('torch HardSigmoid · x becomes one table; QDQ HardSwish too', () => {
    const r = compile(load(file), opts());
    const luts = r.graph.ops.filter((o) => o.kind === 'lut');
    // qdq: HardSigmoid group (its Mul is a QLinearMul); torch: the HardSigmoid·x region → 1 table, + the requant after Flatten
    expect(luts.length).toBe(file.includes('torch') ? 2 : 1);
  });

  test('deterministic: the same model and options give deep-equal results', () => {
    const a = compile(load(file), opts('warboy-2pe', 'float'));
    const b = compile(load(file), opts('warboy-2pe', 'float'));
    expect(b.graph).toEqual(a.graph);
    expect(b.tiling).toEqual(a.tiling);
    expect(b.memory).toEqual(a.memory);
    expect(b.estimate).toEqual(a.estimate);
    expect(JSON.stringify(b.estimate)).toBe(JSON.stringify(a.estimate));
  });

  test('memory plan: live buffers never overlap, intermediates are reused', () => {
    const r = compile(load(file), opts('edge'));
    const own = r.memory.tensors.filter((t) => t.aliasOf === undefined);
    for (const a of own)
      for (const b of own) {
        if (a === b) continue;
        const liveTogether = a.live[0] <= b.live[1] && b.live[0] <= a.live[1];
        const overlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
        expect(liveTogether && overlap, `${a.tensor} / ${b.tensor}`).toBe(false);
      }
    expect(r.memory.arenaBytes).toBeLessThan(r.memory.intermediateBytesNaive);
    // constants come first and do not overlap the tensors
    expect(Math.min(...own.map((t) => t.offset))).toBeGreaterThanOrEqual(r.memory.constBytes);
  });

  test('report: per-layer MACs and cycles, totals and utilisation', () => {
    const r = compile(load(file), opts('warboy-2pe'));
    const conv = r.estimate.layers.find((l) => l.kind === 'conv')!;
    expect(conv.macs).toBe(16 * 8 * 8 * 1 * 9); // conv1: 1 → 16 channels, 3x3, 8x8 output
    expect(r.estimate.totals.macs).toBe(r.estimate.layers.reduce((a, l) => a + l.macs, 0));
    for (const l of r.estimate.layers) {
      if (l.bound === 'free') continue;
      expect(l.cycles).toBeGreaterThanOrEqual(Math.max(l.computeCycles, l.memoryCycles));
      expect(l.cycles).toBeLessThanOrEqual(l.computeCycles + l.memoryCycles);
      expect(l.bound).toBe(l.computeCycles >= l.memoryCycles ? 'compute' : 'memory');
    }
    expect(r.estimate.totals.macUtilisation).toBeGreaterThan(0);
    expect(r.estimate.totals.macUtilisation).toBeLessThanOrEqual(1);
  });
});

test('the report is plain JSON with one layer per op', () => {
  const r = compile(load('digits-cnn.qdq.onnx'), opts('warboy-2pe'));
  const rep = compileReport(r);
  const round = JSON.parse(JSON.stringify(rep)) as typeof rep;
  expect(round).toEqual(rep);
  expect((rep.layers as unknown[]).length).toBe(r.graph.ops.length);
});
