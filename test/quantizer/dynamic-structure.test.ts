// npuq --dynamic graph layout: onnxruntime quantize_dynamic's node chain, int8 weights, shared DynamicQuantizeLinear.

import { describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import type { Model, Node } from '../../onnx/graph.js';
import { quantizeDynamic } from '../../quantizer/dynamic/quantize-dynamic.js';
import { prepareForQuantization } from '../../quantizer/quantize-model.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { convModel, mlpModel, randomFloats } from './dynamic-models.js';

const ops = (m: Model): string[] => m.graph.nodes.map((n) => n.opType);
const init = (m: Model, name: string): Tensor => {
  const t = m.graph.initializers.get(name);
  if (t === undefined) throw new Error(`no initializer ${name}`);
  return t;
};
const producer = (m: Model, out: string): Node => {
  const n = m.graph.nodes.find((k) => k.outputs.includes(out));
  if (n === undefined) throw new Error(`no producer of ${out}`);
  return n;
};

describe('quantizeDynamic layout', () => {
  it('MatMul + Add and Gemm become DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scales) → Mul (→ Add)', () => {
    const f = mlpModel({
      seed: 1,
      batch: 'n',
      inF: 6,
      hidden: 5,
      outF: 3,
      gemm: { alpha: 0.5, beta: 2 },
    });
    const { model: q, report } = quantizeDynamic(f);
    expect(ops(q)).toEqual([
      ...['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul'],
      ...['Add', 'Relu'],
      ...['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul', 'Add'],
    ]);
    expect(report.quantized.map((e) => [e.opType, e.channels])).toEqual([
      ['MatMul', 5],
      ['Gemm', 3],
    ]);
    // graph inputs and outputs keep their names and float type; the float weights are gone
    expect(q.graph.inputs.map((i) => i.name)).toEqual(['x']);
    expect(q.graph.outputs.map((o) => o.name)).toEqual(['y']);
    expect(q.graph.initializers.has('W1')).toBe(false);
    const mmi = q.graph.nodes.filter((n) => n.opType === 'MatMulInteger');
    for (const n of mmi) {
      const dql = producer(q, n.inputs[0]);
      expect(dql.opType).toBe('DynamicQuantizeLinear');
      expect(n.inputs[2]).toBe(dql.outputs[2]); // a_zero_point: the run-time uint8 zero point
      const w = init(q, n.inputs[1]);
      const zp = init(q, n.inputs[3]);
      expect(w.dtype).toBe('int8');
      expect(Math.max(...Array.from(w.data as Int8Array, Math.abs))).toBe(127);
      expect(zp.dtype).toBe('int8');
      expect(zp.shape).toEqual([w.shape[1]]); // per column
      expect(Array.from(zp.data as Int8Array).every((v) => v === 0)).toBe(true);
    }
    // the Gemm's B was transposed: [N, K] → [K, N]
    expect(init(q, mmi[1].inputs[1]).shape).toEqual([5, 3]);
    const cast = q.graph.nodes.find((n) => n.opType === 'Cast')!;
    expect(cast.attrs.to).toEqual({ type: 'int', value: 1 });
    // Mul(x_scale, w_scale) is computed in the graph, then Mul(Cast, that)
    const scalesMul = q.graph.nodes.filter((n) => n.opType === 'Mul')[0];
    expect(scalesMul.inputs[0]).toBe(producer(q, mmi[0].inputs[0]).outputs[1]);
    expect(init(q, scalesMul.inputs[1]).shape).toEqual([5]);
    // Gemm: beta·C is folded into the Add operand, alpha into the weights
    const add = q.graph.nodes.at(-1)!;
    const c = init(q, add.inputs[1]).data as Float32Array;
    const c0 = f.graph.initializers.get('c')!.data as Float32Array;
    expect(Array.from(c)).toEqual(Array.from(c0, (v) => Math.fround(2 * v)));
  });

  it('one DynamicQuantizeLinear per tensor, shared by every quantized reader', () => {
    const f = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', [2, 4])
      .initializer('Wa', randomFloats('a', [4, 3]))
      .initializer('Wb', randomFloats('b', [4, 3]))
      .node('MatMul', ['x', 'Wa'], ['ya'])
      .node('MatMul', ['x', 'Wb'], ['yb'])
      .node('Add', ['ya', 'yb'], ['y'])
      .output('y', 'float32')
      .build();
    const { model: q, report } = quantizeDynamic(f);
    expect(ops(q).filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(1);
    expect(ops(q).filter((o) => o === 'MatMulInteger')).toHaveLength(2);
    expect(report.dynamicActivations).toEqual(['x']);
  });

  it('Conv: ConvInteger keeps the attributes; scales [M,1,1] per output channel, one zero point, float bias', () => {
    const f = convModel({
      seed: 3,
      batch: 1,
      inC: 4,
      size: 6,
      outC: 8,
      group: 2,
      stride: 2,
      bias: true,
    });
    const { model: q } = quantizeDynamic(f);
    expect(ops(q)).toEqual([
      ...['DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul', 'Add', 'Relu'],
      ...['DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul'],
    ]);
    const ci = q.graph.nodes.find((n) => n.opType === 'ConvInteger')!;
    expect(ci.attrs.group).toEqual(A.int(2));
    expect(ci.attrs.strides).toEqual(A.ints([2, 2]));
    expect(init(q, ci.inputs[3]).shape).toEqual([]); // onnxruntime refuses a per-channel w_zero_point
    const mul = q.graph.nodes.find((n) => n.opType === 'Mul')!;
    expect(init(q, mul.inputs[1]).shape).toEqual([8, 1, 1]);
    const add = q.graph.nodes.find((n) => n.opType === 'Add')!;
    expect(init(q, add.inputs[1]).shape).toEqual([8, 1, 1]);
    expect(add.outputs).toEqual(['c1']);
  });

  it('--per-tensor-weights gives one scale and one zero point', () => {
    const f = mlpModel({ seed: 2, batch: 2, inF: 4, hidden: 3, outF: 2 });
    const { model: q, report } = quantizeDynamic(f, { perTensorWeights: true });
    expect(report.perChannelWeights).toBe(false);
    for (const n of q.graph.nodes.filter((k) => k.opType === 'MatMulInteger')) {
      expect(init(q, n.inputs[3]).shape).toEqual([]);
      const mul = q.graph.nodes.find(
        (k) => k.opType === 'Mul' && k.inputs[0] === producer(q, n.inputs[0]).outputs[1],
      )!;
      expect(init(q, mul.inputs[1]).shape).toEqual([]);
    }
  });

  it('keeps excluded nodes and MatMuls without a constant weight in float, and says why', () => {
    const f = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', [3, 4])
      .input('z', 'float32', [4, 3])
      .initializer('W', randomFloats('w', [4, 4]))
      .node('MatMul', ['x', 'W'], ['h'])
      .node('MatMul', ['h', 'z'], ['y'])
      .output('y', 'float32')
      .build();
    const { model: q, report } = quantizeDynamic(f);
    expect(ops(q)).toEqual([
      'DynamicQuantizeLinear',
      'MatMulInteger',
      'Cast',
      'Mul',
      'Mul',
      'MatMul',
    ]);
    expect(report.skipped).toEqual([
      {
        node: 'MatMul_1',
        opType: 'MatMul',
        reason: 'the weight (input 1) is not a float constant',
      },
    ]);
    const ex = quantizeDynamic(f, { exclude: ['MatMul_0'] });
    expect(ops(ex.model)).toEqual(['MatMul', 'MatMul']);
    expect(ex.report.skipped[0]).toEqual({
      node: 'MatMul_0',
      opType: 'MatMul',
      reason: 'excluded',
    });
    expect(() => quantizeDynamic(f, { exclude: ['nope'] })).toThrow(/cannot exclude 'nope'/);
  });

  it('Gemm: a non-constant C is added as is when beta = 1, and keeps the Gemm in float otherwise', () => {
    const gemm = (beta: number): Model =>
      new ModelBuilder({ opset: 13, msOpset: null })
        .input('x', 'float32', [2, 4])
        .input('c', 'float32', [2, 3])
        .initializer('B', randomFloats('B', [4, 3]))
        .node('Gemm', ['x', 'B', 'c'], ['y'], { beta: A.float(beta) })
        .output('y', 'float32')
        .build();
    const q = quantizeDynamic(gemm(1)).model;
    expect(q.graph.nodes.at(-1)).toMatchObject({ opType: 'Add', outputs: ['y'] });
    expect(q.graph.nodes.at(-1)!.inputs[1]).toBe('c');
    const kept = quantizeDynamic(gemm(0.5));
    expect(ops(kept.model)).toEqual(['Gemm']);
    expect(kept.report.skipped[0].reason).toBe('C is not a constant and beta != 1');
  });

  it('refuses opset < 11 and already quantized models with catalogued errors', () => {
    const old = mlpModel({ seed: 4, batch: 1, inF: 2, hidden: 2, outF: 2 });
    old.opsetImports = [{ domain: '', version: 10 }];
    expect(() => quantizeDynamic(old)).toThrow(NpuError);
    expect(() => quantizeDynamic(old)).toThrow(/opset 11/);
    const q = quantizeDynamic(mlpModel({ seed: 4, batch: 1, inF: 2, hidden: 2, outF: 2 })).model;
    expect(() => quantizeDynamic(q)).toThrow(/already quantized/);
    // static quantization refuses a dynamically quantized model too
    expect(() => prepareForQuantization(q)).toThrow(/already quantized/);
  });
});
