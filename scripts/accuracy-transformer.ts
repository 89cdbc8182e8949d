// The transformer section of npm run accuracy: float-exact (host fallback) vs integer-only (I-BERT) kernels.

import { join } from 'node:path';
import { top1 } from '../common/metrics.js';
import { readNpy } from '../common/npy.js';
import { toNumbers, type Tensor } from '../common/tensor.js';
import type { Model } from '../onnx/graph.js';
import { loadModel } from '../onnx/model-io.js';
import type { RequantMode } from '../reference/kernel.js';
import { prepareModel, runPrepared } from '../reference/interpreter.js';
import { collectStats } from '../quantizer/calibrate/collect.js';
import { CALIBRATION_METHODS } from '../quantizer/calibrate/ranges.js';
import { prepareForQuantization, quantizeWithStats } from '../quantizer/quantize-model.js';
import { compile } from '../compiler/pipeline.js';
import { loadHwConfig } from '../isa/hw-config.js';
import { NpuSession } from '../runtime/session.js';
import { type AccuracyInput, type MethodSpec, methodLabel, runOrt } from './accuracy.js';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'models');

export interface TransformerRow extends MethodSpec {
  /** Top-1 in [0, 1]: onnxruntime (float-exact GELU / Softmax / LayerNorm between DQ and Q, host fallback). */
  onnxruntime: number;
  /** The reference with the same float-exact ops (float requantization). */
  reference: number;
  /** The reference with the I-BERT integer kernels (integer-only), float and fixed-point requantization. */
  integer: number;
  integerFixed: number;
  /** Logits identical in the float-exact reference and onnxruntime, of `logits`. */
  logitsEqual: number;
  logits: number;
  /** Top-1 of npuc -> npusim on warboy-2pe (float requantization), and logits identical to the integer-only reference. */
  npu: number;
  npuEqual: number;
}

export interface TransformerResult {
  label: string;
  testSamples: number;
  calibSamples: number;
  float: number;
  rows: TransformerRow[];
}

/** The bundled digits transformer (opset 17) and the digits data. */
export function transformerInput(): AccuracyInput {
  return {
    label: 'digits-transformer',
    model: loadModel(join(FIXTURES, 'digits-transformer.onnx')),
    calib: readNpy(join(FIXTURES, 'digits-calib-x.npy')),
    x: readNpy(join(FIXTURES, 'digits-test-x.npy')),
    labels: toNumbers(readNpy(join(FIXTURES, 'digits-test-y.npy'))),
  };
}

function refRun(
  q: Model,
  inputName: string,
  x: Tensor,
  integer: boolean,
  mode: RequantMode,
): Tensor {
  const prepared = prepareModel(q, { integerKernels: integer });
  return Object.values(runPrepared(prepared, { [inputName]: x }, { mode }))[0];
}

/** The quantized model through npuc (warboy-2pe, no host fallback) and npusim, all images as one batch. */
function runNpu(q: Model, inputName: string, x: Tensor): Tensor {
  const hw = loadHwConfig('warboy-2pe');
  const dim = q.graph.inputs[0].shape?.[0];
  const c = compile(q, {
    hw,
    requant: hw.requant,
    cpuFallback: false,
    fixedDims: typeof dim === 'string' ? { [dim]: 1 } : {},
  });
  const session = new NpuSession(c.program!, { hw });
  return Object.values(session.run({ [inputName]: x }).outputs)[0];
}

/** One calibration, then every method: onnxruntime, the float-exact reference and the integer-only reference. */
export async function measureTransformerAccuracy(
  input: AccuracyInput,
  methods: readonly MethodSpec[] = CALIBRATION_METHODS,
): Promise<TransformerResult> {
  const { model, calib, x, labels } = input;
  const prepared = prepareForQuantization(model);
  const stats = await collectStats(prepared.model, calib);
  const inputName = model.graph.inputs[0].name;
  const rows: TransformerRow[] = [];
  for (const m of methods) {
    const { model: q } = quantizeWithStats(prepared, stats, {
      method: m.method,
      symmetric: m.symmetric,
    });
    const ref = refRun(q, inputName, x, false, 'float');
    const ortOut = await runOrt(q, x, true);
    let equal = 0;
    for (let i = 0; i < ref.data.length; i++) if (ref.data[i] === ortOut.data[i]) equal++;
    const integer = refRun(q, inputName, x, true, 'float');
    const npuOut = runNpu(q, inputName, x);
    let npuEqual = 0;
    for (let i = 0; i < integer.data.length; i++)
      if (integer.data[i] === npuOut.data[i]) npuEqual++;
    rows.push({
      ...m,
      onnxruntime: top1(ortOut, labels),
      reference: top1(ref, labels),
      integer: top1(integer, labels),
      integerFixed: top1(refRun(q, inputName, x, true, 'fixed'), labels),
      logitsEqual: equal,
      logits: ref.data.length,
      npu: top1(npuOut, labels),
      npuEqual,
    });
  }
  return {
    label: input.label,
    testSamples: labels.length,
    calibSamples: stats.samples,
    float: top1(await runOrt(model, x, false), labels),
    rows,
  };
}

const pct = (v: number): string => `${(100 * v).toFixed(3)}%`;
const pp = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)} pp`;

/** The generated transformer tables: summary (best integer-only method) and one row per method. */
export function formatTransformerAccuracy(r: TransformerResult): string {
  const best = r.rows.reduce<TransformerRow | undefined>(
    (b, row) => (b === undefined || row.integer > b.integer ? row : b),
    undefined,
  );
  const correct = (v: number): string => `${Math.round(v * r.testSamples)}/${r.testSamples}`;
  const cell = (v: number): string => `${pct(v)} (${correct(v)})`;
  return [
    `Model ${r.label}: ${r.testSamples} held-out test images, ${r.calibSamples} calibration images.`,
    '',
    '| Model | FP | INT8 host-fallback GELU/Softmax/LayerNorm (onnxruntime) | INT8 integer-only (method) | INT8 on the NPU (npuc → npusim) | ratio | Δ vs FP |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    best === undefined
      ? `| ${r.label} | ${pct(r.float)} | n/a | n/a | n/a | n/a | n/a |`
      : `| ${r.label} | ${pct(r.float)} | ${pct(best.onnxruntime)} | ${pct(best.integer)} (${methodLabel(best)}) | ${pct(best.npu)} | ${pct(best.integer / r.float)} | ${pp(best.integer - r.float)} |`,
    '',
    `Per method (FP top-1 ${cell(r.float)}, onnxruntime):`,
    '',
    '| CalibrationMethod | method | host fallback, onnxruntime | host fallback, reference | integer-only, reference | integer-only, reference fixed-point | NPU, npuc → npusim | Δ integer-only vs FP | logits equal, reference vs onnxruntime | logits equal, NPU vs integer-only reference |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (row) =>
        `| ${row.name} | ${methodLabel(row)} | ${cell(row.onnxruntime)} | ${cell(row.reference)} | ${cell(row.integer)} | ${cell(row.integerFixed)} | ${cell(row.npu)} | ${pp(row.integer - r.float)} | ${row.logitsEqual}/${row.logits} | ${row.npuEqual}/${row.logits} |`,
    ),
  ].join('\n');
}
