// Quantization plots for the most sensitive layers: float vs dequantized histograms of weights and activations.

import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { fail } from '../../common/diagnostics.js';
import { INT_RANGE } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { dequantizeValue } from '../../reference/quant/lut.js';
import { calibrationBatches, type CalibrationData } from '../calibrate/batches.js';
import type { SensitivityReport } from '../sensitivity.js';
import { addToHistogram, gridBins, uniformBins, type Bins } from './plot-bins.js';
import {
  clipOf,
  dequantizedOf,
  weightsOf,
  type ScaleZp,
  type WeightSource,
} from './plot-sources.js';
import { renderPlot, renderPlotsIndex } from './plots-render.js';
import type { BinGrid } from './svg-histogram.js';

export interface PlotOptions {
  /** How many of the most sensitive layers to plot (default 4). */
  layers?: number;
  /** Most bins per histogram (default 128). */
  maxBins?: number;
  batchSize?: number;
}

export interface PlotInput {
  /** The prepared float graph the QDQ model was written from. */
  floatModel: Model;
  qdqModel: Model;
  sensitivity: SensitivityReport;
  /** Calibrated float range of each activation (the report's activations), for the histogram range. */
  activations: readonly { name: string; min: number; max: number }[];
  calib: CalibrationData;
}

/** One plotted histogram: its bins, both series' counts and the quantization parameters shown. */
export interface PlotHistogram {
  file: string;
  kind: 'activation' | 'weight';
  tensor: string;
  bins: BinGrid;
  float: number[];
  dequantized: number[];
  /** One scale (per tensor) or one per channel along `axis`. */
  scales: number[];
  axis: number | null;
  zeroPoint: number;
  dtype: 'int8' | 'uint8';
  /** Values representable by the int type, [(qmin − zp)·s, (qmax − zp)·s] (widest channel when per axis). */
  clip: [number, number];
  /** Smallest and largest float value plotted. */
  floatRange: [number, number];
  /** 10·log10(Σf² / Σ(f − q)²) of the plotted values. */
  sqnrDb: number;
}

export interface LayerPlots {
  rank: number;
  node: string;
  opType: string;
  tensor: string;
  sqnrDb: number;
  histograms: PlotHistogram[];
}

export interface PlotSet {
  layers: LayerPlots[];
  /** index.html and the SVG files, relative to the plot folder. */
  files: { file: string; content: string }[];
}

const slug = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[_.]+|_+$/g, '')
    .slice(0, 60) || 'tensor';

const sqnrOf = (signal: number, noise: number): number =>
  noise === 0 ? Infinity : 10 * Math.log10(signal / noise);

/** The activation histograms' bins, from the calibrated float range and the clip range. */
function activationBins(
  p: ScaleZp,
  range: { min: number; max: number } | undefined,
  maxBins: number,
): Bins {
  const [cLo, cHi] = clipOf(p, 'activation');
  const lo = Math.min(cLo, range?.min ?? cLo);
  const hi = Math.max(cHi, range?.max ?? cHi);
  return gridBins(lo, hi, p.scales[0], p.zeroPoint, INT_RANGE[p.dtype][0], maxBins);
}

function weightHistogram(w: WeightSource, file: string, maxBins: number): PlotHistogram {
  const { float, q, params, axis } = w;
  const n = float.data.length;
  const inner = axis === null ? n : q.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = params.scales.length;
  const deq = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    deq[i] = dequantizeValue(Number(q.data[i]), params.scales[c], params.zeroPoint);
  }
  let lo = 0;
  let hi = 0;
  let fMin = Infinity;
  let fMax = -Infinity;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const f = Number(float.data[i]);
    fMin = Math.min(fMin, f);
    fMax = Math.max(fMax, f);
    lo = Math.min(lo, f, deq[i]);
    hi = Math.max(hi, f, deq[i]);
    signal += f * f;
    noise += (f - deq[i]) ** 2;
  }
  const clip = clipOf(params, 'weight');
  // one grid for per-tensor weights; per-channel grids differ, so equal bins there
  const bins =
    axis === null
      ? gridBins(
          Math.min(lo, clip[0]),
          Math.max(hi, clip[1]),
          params.scales[0],
          params.zeroPoint,
          INT_RANGE[params.dtype][0],
          maxBins,
        )
      : uniformBins(Math.min(lo, clip[0]), Math.max(hi, clip[1]), Math.min(maxBins, 101));
  const fc = new Array<number>(bins.count).fill(0);
  const dc = new Array<number>(bins.count).fill(0);
  addToHistogram(fc, bins, float.data as Float32Array);
  addToHistogram(dc, bins, deq);
  return {
    file,
    kind: 'weight',
    tensor: w.name,
    bins: { start: bins.start, width: bins.width, count: bins.count },
    float: fc,
    dequantized: dc,
    scales: params.scales,
    axis,
    zeroPoint: params.zeroPoint,
    dtype: params.dtype,
    clip,
    floatRange: [fMin, fMax],
    sqnrDb: sqnrOf(signal, noise),
  };
}

interface ActivationAcc {
  layer: LayerPlots;
  tensor: string;
  dqOut: string;
  params: ScaleZp;
  bins: Bins;
  float: number[];
  deq: number[];
  signal: number;
  noise: number;
  min: number;
  max: number;
}

/**
 * Histograms for the `layers` most sensitive layers of the sensitivity report: each layer's int8 weights against
 * the float weights, and its output activation over the calibration set, float (prepared float graph) against the
 * QDQ model's DequantizeLinear output (run with literal Q/DQ, as the sensitivity report does). Deterministic.
 */
export function buildPlots(input: PlotInput, opts: PlotOptions = {}): PlotSet {
  const k = opts.layers ?? 4;
  const maxBins = opts.maxBins ?? 128;
  const ranges = new Map(input.activations.map((a) => [a.name, a]));
  const layers: LayerPlots[] = [];
  const accs: ActivationAcc[] = [];
  input.sensitivity.layers.slice(0, Math.max(0, k)).forEach((l, i) => {
    const rank = i + 1;
    const prefix = `${String(rank).padStart(2, '0')}-${slug(l.node)}`;
    const layer: LayerPlots = {
      rank,
      node: l.node,
      opType: l.opType,
      tensor: l.tensor,
      sqnrDb: l.sqnrDb,
      histograms: [],
    };
    layers.push(layer);
    const used = new Set<string>();
    const unique = (base: string): string => {
      let f = `${base}.svg`;
      for (let j = 2; used.has(f); j++) f = `${base}-${j}.svg`;
      used.add(f);
      return f;
    };
    for (const w of weightsOf(input.floatModel, input.qdqModel, l.node))
      layer.histograms.push(
        weightHistogram(w, unique(`${prefix}-weight-${slug(w.name)}`), maxBins),
      );
    const d = dequantizedOf(input.qdqModel, l.tensor);
    if (d === undefined) return;
    const bins = activationBins(d.params, ranges.get(l.tensor), maxBins);
    const zeros = (): number[] => new Array<number>(bins.count).fill(0);
    accs.push({
      layer,
      tensor: l.tensor,
      ...d,
      bins,
      float: zeros(),
      deq: zeros(),
      signal: 0,
      noise: 0,
      min: Infinity,
      max: -Infinity,
    });
  });

  if (accs.length > 0) {
    const pf = prepareModel(input.floatModel);
    const pq = prepareModel(input.qdqModel, { literalQdq: true });
    for (const feeds of calibrationBatches(input.floatModel, input.calib, opts.batchSize)) {
      const f = runPrepared(pf, feeds, { keepIntermediates: true });
      const q = runPrepared(pq, feeds, { keepIntermediates: true });
      for (const a of accs) {
        const fv = f[a.tensor]?.data as Float32Array | undefined;
        const qv = q[a.dqOut]?.data as Float32Array | undefined;
        if (fv === undefined || qv === undefined || fv.length !== qv.length) continue;
        addToHistogram(a.float, a.bins, fv);
        addToHistogram(a.deq, a.bins, qv);
        for (let i = 0; i < fv.length; i++) {
          a.min = Math.min(a.min, fv[i]);
          a.max = Math.max(a.max, fv[i]);
          a.signal += fv[i] * fv[i];
          a.noise += (fv[i] - qv[i]) ** 2;
        }
      }
    }
  }
  for (const a of accs) {
    a.layer.histograms.push({
      file: `${String(a.layer.rank).padStart(2, '0')}-${slug(a.layer.node)}-activation.svg`,
      kind: 'activation',
      tensor: a.tensor,
      bins: { start: a.bins.start, width: a.bins.width, count: a.bins.count },
      float: a.float,
      dequantized: a.deq,
      scales: a.params.scales,
      axis: null,
      zeroPoint: a.params.zeroPoint,
      dtype: a.params.dtype,
      clip: clipOf(a.params, 'activation'),
      floatRange: [a.min, a.max],
      sqnrDb: sqnrOf(a.signal, a.noise),
    });
  }

  const files = layers.flatMap((l) =>
    l.histograms.map((h) => ({
      file: h.file,
      content: renderPlot(l, h, input.sensitivity.samples),
    })),
  );
  files.unshift({ file: 'index.html', content: renderPlotsIndex(layers, input.sensitivity) });
  return { layers, files };
}

/** Writes the plot files into `dir` (created if missing); returns their paths. */
export function writePlots(dir: string, plots: PlotSet): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fail('writeFailed', [(e as Error).message], { file: dir });
  }
  if (!statSync(dir).isDirectory()) fail('writeFailed', ['not a directory'], { file: dir });
  return plots.files.map((f) => {
    const path = join(dir, f.file);
    writeFileAtomic(path, f.content);
    return path;
  });
}
