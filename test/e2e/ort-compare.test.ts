// Float mode against onnxruntime-node: random quantized graphs give the same codes in npusim (= the reference) as
// in onnxruntime CPU. onnxruntime's QLinearAdd / QLinearMul round some exact (or float32-near) ties differently
// by 1 LSB (docs/semantics.md, "Deltas versus onnxruntime"), and a later op can widen such a difference (a Tanh
// table, a conv). So every integer tensor of the graph is compared: a tensor that differs although all of its
// integer inputs agree is where a difference starts, and that must be an Add / Mul with |diff| <= 1. Any other
// difference is propagated from one of those; graphs without Add / Mul must be identical throughout, except for
// the whole-image average pool delta below (counted separately, pinned by an it.fails case).

import fc from 'fast-check';
import type * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Model, Node } from '../../onnx/graph.js';
import { attrInts } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { ORT_OPTIONS, ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';
import { firstMismatch, referenceCodes, runOnNpu } from './npu-run.js';
import { type BuiltGraph, buildGraph, describeModel, graphSpecArb } from './random-graph.js';

const NUM_RUNS = Number(process.env.E2E_ORT_RUNS ?? 400);
const SEED = Number(process.env.E2E_SEED ?? 20_260_401) + 2;

/**
 * Found by this test (reported to the lead): onnxruntime's QLinearAveragePool (qlinear_pool.cc) falls back to its
 * global-average-pool kernel when the kernel covers the whole image and all pads are 0 ("fallback_to_global"),
 * which requantizes with one float32 multiplier s_x / (s_y · N) instead of dequantizing, averaging and dividing
 * by s_y; the reference implements only the latter, so near ties differ by 1 LSB. Tolerated (±1, counted) where
 * a difference starts at such a pool while this flag is set.
 */
const ORT_AVG_POOL_GLOBAL_FALLBACK = true;

/**
 * int8 activations: onnxruntime fuses int8 QDQ groups on x86 only with qdqisint8allowed, and x64quantprecision
 * must stay off (it rewrites int8 weights to uint8, leaving int8-activation QLinearConv without a kernel; see
 * test/helpers/ort.ts). uint8 activations: the default options with x64quantprecision.
 */
const sessionOptions = (g: BuiltGraph): ort.InferenceSession.SessionOptions =>
  g.dtype === 'int8'
    ? { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } }
    : ORT_OPTIONS;

/** The model with every integer activation also a graph output (onnxruntime then returns them all). */
function exposed(g: BuiltGraph): Model {
  const m = structuredClone(g.model);
  const have = new Set(m.graph.outputs.map((o) => o.name));
  for (const t of g.tensors) if (!have.has(t)) m.graph.outputs.push({ name: t, dtype: g.dtype });
  return m;
}

interface IntStep {
  /** The ONNX nodes that compute the tensor (through its DQ → float ops → Q group), outermost first. */
  nodes: Node[];
  /** The integer tensors they read. */
  inputs: string[];
}

/** For each integer tensor of the graph, how it is computed. */
function integerSteps(g: BuiltGraph): Map<string, IntStep> {
  const ints = new Set(g.tensors);
  const producer = new Map<string, Node>();
  for (const n of g.model.graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const steps = new Map<string, IntStep>();
  for (const t of g.tensors) {
    const p = producer.get(t);
    if (p === undefined) continue;
    const nodes: Node[] = [];
    const inputs = new Set<string>();
    const visit = (n: Node): void => {
      if (n.opType === 'DequantizeLinear') {
        if (ints.has(n.inputs[0])) inputs.add(n.inputs[0]);
        return;
      }
      nodes.push(n);
      for (const i of n.inputs) {
        const q = producer.get(i);
        if (ints.has(i)) inputs.add(i);
        else if (q !== undefined) visit(q);
      }
    };
    const start = p.opType === 'QuantizeLinear' ? producer.get(p.inputs[0]) : p;
    if (start !== undefined) visit(start);
    steps.set(t, { nodes, inputs: [...inputs] });
  }
  return steps;
}

/** Add / Mul of two activations (not the bias Add of a MatMul, which is exact integer addition). */
const addMul = (s: IntStep): boolean =>
  s.nodes.some((n) => /^(QLinear)?(Add|Mul)$/.test(n.opType)) &&
  !s.nodes.some((n) => n.opType === 'MatMul');

/** An average pool whose kernel is the whole input image, without padding (onnxruntime's global fallback). */
function wholeImagePool(s: IntStep, shapes: (name: string) => readonly number[]): boolean {
  const n = s.nodes[0];
  if (n.opType !== 'AveragePool' && n.opType !== 'QLinearAveragePool') return false;
  const x = shapes(s.inputs[0]).slice(2);
  const pads = attrInts(n, 'pads', [0, 0, 0, 0]);
  return attrInts(n, 'kernel_shape').every((k, i) => k === x[i]) && pads.every((p) => p === 0);
}

function codesOf(t: Tensor, scale: number, zp: number, dtype: 'int8' | 'uint8'): Tensor {
  if (t.dtype === dtype) return t;
  // a dequantized output v = (q − zp) · scale is exactly invertible
  const data = dtype === 'int8' ? new Int8Array(t.data.length) : new Uint8Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Number(t.data[i]) / scale) + zp;
  return { dtype, shape: [...t.shape], data };
}

const diffCount = (a: Tensor, b: Tensor): { n: number; max: number } => {
  let [n, max] = [0, 0];
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(Number(a.data[i]) - Number(b.data[i]));
    if (d > 0) n++;
    max = Math.max(max, d);
  }
  return { n, max };
};

interface Tally {
  graphs: number;
  graphsDiffering: number;
  outputValues: number;
  outputDiffering: number;
  outputMax: number;
  /** Add / Mul tensors where a difference starts, and their differing values. */
  origins: number;
  originValues: number;
  /** Whole-image average pools where a difference starts (ORT_AVG_POOL_GLOBAL_FALLBACK). */
  poolOrigins: number;
  /** Where differences start, by op type. */
  byOp: Map<string, number>;
}

describe('random quantized graphs, float mode: npusim = onnxruntime CPU', () => {
  const t: Record<'plain' | 'addMul', Tally> = {
    plain: {
      graphs: 0,
      graphsDiffering: 0,
      outputValues: 0,
      outputDiffering: 0,
      outputMax: 0,
      origins: 0,
      originValues: 0,
      poolOrigins: 0,
      byOp: new Map(),
    },
    addMul: {
      graphs: 0,
      graphsDiffering: 0,
      outputValues: 0,
      outputDiffering: 0,
      outputMax: 0,
      origins: 0,
      originValues: 0,
      poolOrigins: 0,
      byOp: new Map(),
    },
  };
  afterAll(() => {
    for (const [k, v] of Object.entries(t))
      console.log(
        `onnxruntime vs npusim, graphs ${k === 'plain' ? 'without' : 'with'} Add / Mul: ${v.graphs} graphs, ` +
          `${v.graphsDiffering} with a difference; output values ${v.outputDiffering} of ${v.outputValues} ` +
          `differ (${((100 * v.outputDiffering) / Math.max(1, v.outputValues)).toFixed(3)}%, max |diff| ` +
          `${v.outputMax}); started at ${v.origins} Add / Mul tensors (${v.originValues} values, |diff| 1) ` +
          `and ${v.poolOrigins} whole-image average pools [${[...v.byOp].map(([o, c]) => `${o} ${c}`).join(', ')}]`,
      );
  });

  it('differences only start at Add / Mul ties (±1 LSB); identical graphs otherwise', async () => {
    const seen = new Set<string>();
    let simulated = 0;
    let ortRefused = 0;
    await fc.assert(
      fc.asyncProperty(graphSpecArb, async (spec) => {
        const g = buildGraph(spec, 'float');
        const want = referenceCodes(g, 'float');
        // npusim must equal the reference (the main property; checked again on these graphs)
        const r = runOnNpu(g, 'float', 'edge');
        if (r.status === 'ok') {
          expect(firstMismatch(want, r.outputs)).toBeUndefined();
          simulated++;
        }
        const ours = r.status === 'ok' ? r.outputs : want;
        let ortOut: Record<string, Tensor>;
        try {
          ortOut = await runOrt(g.model, g.feeds, sessionOptions(g));
        } catch (e) {
          // onnxruntime's ONNX shape inference keeps the ceil-mode pool window its kernel drops: a later Concat /
          // Add sees two sizes (session creation fails) or a planned buffer has the wrong size (the run fails);
          // nothing to compare (counted)
          if (g.features.has('pool:ceil-drop')) {
            ortRefused++;
            return;
          }
          throw e;
        }
        const ortAll = await runOrt(exposed(g), g.feeds, sessionOptions(g));
        const refAll = runModel(g.model, g.feeds, { mode: 'float', keepIntermediates: true });
        const fail = (what: string): never => {
          throw new Error(`${what}\n${describeModel(g.model)}`);
        };
        const tally = g.features.has('add') || g.features.has('mul') ? t.addMul : t.plain;
        tally.graphs++;
        const steps = integerSteps(g);
        for (const name of g.tensors) {
          const d = diffCount(refAll[name], ortAll[name]);
          if (d.n === 0) continue;
          const s = steps.get(name);
          const inputsAgree =
            s !== undefined && s.inputs.every((i) => diffCount(refAll[i], ortAll[i]).n === 0);
          if (!inputsAgree) continue; // propagated from an earlier difference
          const pool =
            ORT_AVG_POOL_GLOBAL_FALLBACK &&
            s !== undefined &&
            wholeImagePool(s, (i) => refAll[i].shape);
          if (s === undefined || !(addMul(s) || pool) || d.max > 1)
            fail(
              `${name} (${s?.nodes.map((n) => n.opType).join(' ← ') ?? 'graph input'}) differs from ` +
                `onnxruntime in ${d.n} values (max ${d.max}) although its inputs agree`,
            );
          const op = s.nodes.find((n) => /Add|Mul|Pool/.test(n.opType))?.opType ?? '?';
          tally.byOp.set(op, (tally.byOp.get(op) ?? 0) + 1);
          if (pool) tally.poolOrigins++;
          else {
            tally.origins++;
            tally.originValues += d.n;
          }
        }
        let differs = false;
        for (const o of g.outputs) {
          const theirs = codesOf(ortOut[o.name], o.scale, o.zp, g.dtype);
          // exposing the intermediates must not change what onnxruntime computes
          if (diffCount(theirs, codesOf(ortAll[o.name], o.scale, o.zp, g.dtype)).n > 0)
            fail(`onnxruntime's ${o.name} changes when intermediates are graph outputs`);
          const d = diffCount(ours[o.name], theirs);
          tally.outputValues += theirs.data.length;
          tally.outputDiffering += d.n;
          tally.outputMax = Math.max(tally.outputMax, d.max);
          differs ||= d.n > 0;
        }
        if (differs) tally.graphsDiffering++;
        for (const f of g.features) seen.add(f);
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
    console.log(
      `onnxruntime could not run ${ortRefused} graphs with a dropped ceil-mode pool window`,
    );
    const kinds = ['qdq', 'qop', 'uint8', 'int8', 'add', 'mul', 'conv', 'gemm', 'act:Sigmoid'];
    expect(kinds.filter((f) => !seen.has(f))).toEqual([]);
    expect(simulated).toBeGreaterThanOrEqual(0.8 * NUM_RUNS);
    expect(ortRefused).toBeLessThanOrEqual(0.05 * NUM_RUNS);
    expect(t.plain.graphs).toBeGreaterThanOrEqual(0.3 * NUM_RUNS);
    expect(t.plain.origins).toBe(0);
    // the deltas are rare
    expect(t.addMul.originValues).toBeLessThanOrEqual(0.01 * t.addMul.outputValues);
  });
});

describe('onnxruntime deltas found by the random graphs', () => {
  // ORT_AVG_POOL_GLOBAL_FALLBACK: 0.1875 / f32(0.015) is 12.5 in float32 (→ 12), but 48 · f32(s_x / s_y) is
  // 12.500001 (→ 13); fails until the reference follows onnxruntime's fallback (then drop the flag)
  it.fails('a whole-image QLinearAveragePool without pads equals onnxruntime', async () => {
    const m = new ModelBuilder({ opset: 17 })
      .input('x', 'int8', [1, 1, 1, 1])
      .scalar('xs', 'float32', 1 / 256)
      .scalar('xz', 'int8', -128)
      .scalar('ys', 'float32', 0.015)
      .scalar('yz', 'int8', 0)
      .msNode('QLinearAveragePool', ['x', 'xs', 'xz', 'ys', 'yz'], ['y'], {
        kernel_shape: A.ints([1, 1]),
        channels_last: A.int(0),
      })
      .output('y', 'int8')
      .build();
    const x = tensor('int8', [1, 1, 1, 1], [-80]);
    const ours = runModel(m, { x }, { mode: 'float' }).y;
    const theirs = (await runOrt(m, { x }, ORT_OPTIONS_S8)).y;
    expect(Number(theirs.data[0])).toBe(Number(ours.data[0]));
  });
});
