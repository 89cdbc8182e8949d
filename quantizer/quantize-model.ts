// The quantizer's TypeScript API: prepare the graph, calibrate, compute ranges and write the QDQ model.

import { fail } from '../common/diagnostics.js';
import { defaultOpset, type Model } from '../onnx/graph.js';
import { collectStats, type CalibrationEngine } from './calibrate/collect.js';
import type { CalibrationData } from './calibrate/batches.js';
import type { MethodName } from './calibrate/method.js';
import { computeRanges, DEFAULT_PERCENTILE } from './calibrate/ranges.js';
import type { CalibrationStats } from './calibrate/stats.js';
import { prepareGraph, type PreparedGraph } from './prepare/prepare-graph.js';
import { measureSensitivity, type SensitivityReport } from './sensitivity.js';
import { chooseExclusions, type ExclusionCandidate } from './auto-exclude.js';
import type { ActivationEntry } from './quantize/activation-params.js';
import { writeQdq, type WeightEntry } from './quantize/qdq-writer.js';
import { editIoTypes, type IoEdit, type IoType } from './edit/model-editor.js';
import { buildPlots, type PlotOptions, type PlotSet } from './report/plots.js';

export interface QuantizeOptions {
  /** Range method (default 'minmax'). */
  method?: MethodName;
  /** Symmetric activation ranges (default false: asymmetric). */
  symmetric?: boolean;
  /** PERCENTILE: share of values kept, in % (default 99.99). */
  percentile?: number;
  /** Weights per tensor instead of per output channel. */
  perTensorWeights?: boolean;
  /** Keep the N nodes in float whose exclusion most improves the output SQNR (measured; adds to `exclude`). */
  autoExclude?: number;
  /** Also measure the sensitivity report on the calibration data (reference interpreter). */
  sensitivity?: boolean;
  /** Node names kept in float (they run on the host through npuc --cpu-fallback). */
  exclude?: readonly string[];
  /** Histograms of the most sensitive layers (result.plots; implies the sensitivity report). */
  plots?: PlotOptions;
  /** Integer graph inputs / outputs instead of float (edit/model-editor.ts), applied last. */
  inputType?: IoType;
  outputType?: IoType;
  /** Calibration engine (default onnxruntime-node). */
  engine?: CalibrationEngine;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface QuantizeReport {
  method: MethodName;
  symmetric: boolean;
  percentile: number;
  perChannelWeights: boolean;
  /** Nodes kept in float. */
  excluded: string[];
  calibrationSamples: number;
  prepare: PreparedGraph['log'];
  /** Relu / Clip nodes folded into the preceding Conv / Gemm. */
  removedActivations: string[];
  activations: (ActivationEntry & { min: number; max: number })[];
  weights: WeightEntry[];
  /** With options.sensitivity. */
  sensitivity?: SensitivityReport;
  /** With options.autoExclude: output SQNR with each candidate node alone in float, best first. */
  autoExclude?: ExclusionCandidate[];
  /** With options.inputType / outputType: the graph inputs and outputs that became integer tensors. */
  io?: IoEdit[];
}

export interface QuantizeResult {
  model: Model;
  report: QuantizeReport;
  /** With options.plots (write them with report/plots.ts writePlots). */
  plots?: PlotSet;
}

function checkFloatModel(model: Model): void {
  const q = model.graph.nodes.find((n) =>
    [
      'QuantizeLinear',
      'DequantizeLinear',
      'QLinearConv',
      'QLinearMatMul',
      'DynamicQuantizeLinear',
      'MatMulInteger',
      'ConvInteger',
    ].includes(n.opType),
  );
  if (q !== undefined) {
    fail('unsupported', ['the model is already quantized'], {
      file: model.file,
      node: q.name,
      opType: q.opType,
    });
  }
  if (defaultOpset(model) < 10) {
    fail(
      'unsupported',
      [
        `opset ${defaultOpset(model)} has no QuantizeLinear; convert the model to opset 13 or later`,
      ],
      {
        file: model.file,
      },
    );
  }
}

/** Graph preparation only (BN folding, constant folding, PRelu rewrite, conv+activation pairs). */
export function prepareForQuantization(model: Model): PreparedGraph {
  checkFloatModel(model);
  return prepareGraph(model);
}

/** Quantizes a prepared graph with already collected statistics (lets one calibration serve every method). */
export function quantizeWithStats(
  prepared: PreparedGraph,
  stats: CalibrationStats,
  options: QuantizeOptions = {},
): QuantizeResult {
  const method = options.method ?? 'minmax';
  const symmetric = options.symmetric ?? false;
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (!(percentile > 0 && percentile <= 100))
    fail('badArgument', [`percentile ${percentile} is not in (0, 100]`]);
  const perChannel = options.perTensorWeights !== true;
  const ranges = computeRanges(stats, method, { symmetric, percentile });
  const exclude = [...(options.exclude ?? [])];
  const res = writeQdq(prepared.model, prepared.fused, ranges, {
    symmetric,
    perChannel,
    exclude: new Set(exclude),
  });
  const activations = res.activations.map((a) => {
    const st = stats.tensors.get(a.name);
    return { ...a, min: st?.min ?? 0, max: st?.max ?? 0 };
  });
  return {
    model: res.model,
    report: {
      method,
      symmetric,
      percentile,
      perChannelWeights: perChannel,
      excluded: exclude,
      calibrationSamples: stats.samples,
      prepare: prepared.log,
      removedActivations: res.removedActivations,
      activations,
      weights: res.weights,
    },
  };
}

/** Post-training static int8 quantization of a float model to QDQ ONNX. */
export async function quantizeModel(
  model: Model,
  calib: CalibrationData,
  options: QuantizeOptions = {},
): Promise<QuantizeResult> {
  const prepared = prepareForQuantization(model);
  const stats = await collectStats(prepared.model, calib, {
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  let res = quantizeWithStats(prepared, stats, options);
  const n = options.autoExclude ?? 0;
  if (n > 0) {
    const exclude = options.exclude ?? [];
    const { chosen, measured } = chooseExclusions(
      prepared.model,
      res.model,
      (nodes) =>
        quantizeWithStats(prepared, stats, { ...options, exclude: [...exclude, ...nodes] }).model,
      calib,
      n,
      options.batchSize,
      exclude,
    );
    res = quantizeWithStats(prepared, stats, { ...options, exclude: [...exclude, ...chosen] });
    res.report.autoExclude = measured;
  }
  if (options.sensitivity === true || options.plots !== undefined) {
    res.report.sensitivity = measureSensitivity(
      prepared.model,
      res.model,
      calib,
      options.batchSize,
    );
  }
  if (options.plots !== undefined) {
    res.plots = buildPlots(
      {
        floatModel: prepared.model,
        qdqModel: res.model,
        sensitivity: res.report.sensitivity!,
        activations: res.report.activations,
        calib,
      },
      {
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...options.plots,
      },
    );
  }
  if (options.inputType !== undefined || options.outputType !== undefined) {
    const edited = editIoTypes(res.model, {
      ...(options.inputType !== undefined ? { inputType: options.inputType } : {}),
      ...(options.outputType !== undefined ? { outputType: options.outputType } : {}),
    });
    res.model = edited.model;
    res.report.io = edited.edits;
  }
  return res;
}
