// Sensitivity report: per quantized tensor the SQNR (dB) of the quantized model's activations against float, plus
// the model output's SQNR and top-1 agreement, measured with the reference interpreter on the calibration data.

import type { Tensor } from '../common/tensor.js';
import type { Model } from '../onnx/graph.js';
import { prepareModel, runPrepared } from '../reference/interpreter.js';
import { calibrationBatches, type CalibrationData } from './calibrate/batches.js';

export interface LayerSensitivity {
  /** The float tensor (a node output). */
  tensor: string;
  /** Node of the quantized model that writes it and its op type ('input' for a graph input). */
  node: string;
  opType: string;
  /** 10 log10(Σ f² / Σ (f − q)²); Infinity when identical. */
  sqnrDb: number;
}

export interface SensitivityReport {
  /** Most sensitive (lowest SQNR) first. */
  layers: LayerSensitivity[];
  output: { name: string; sqnrDb: number; top1Agreement: number | null };
  samples: number;
}

const sqnr = (signal: number, noise: number): number =>
  noise === 0 ? Infinity : 10 * Math.log10(signal / noise);

/** Float tensor -> the DequantizeLinear output that carries its quantized value in the QDQ model. */
function dequantizedOf(q: Model): Map<string, { dq: string; node: string; opType: string }> {
  const g = q.graph;
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const map = new Map<string, { dq: string; node: string; opType: string }>();
  for (const qn of g.nodes) {
    if (qn.opType !== 'QuantizeLinear') continue;
    const dq = g.nodes.find(
      (n) => n.opType === 'DequantizeLinear' && n.inputs[0] === qn.outputs[0],
    );
    if (dq === undefined) continue;
    const src = qn.inputs[0];
    // a graph output keeps its name on the DequantizeLinear; its producer writes <name>_QuantizeLinearInput
    const tensor = g.outputs.some((o) => o.name === dq.outputs[0]) ? dq.outputs[0] : src;
    const p = producer.get(src);
    map.set(tensor, {
      dq: dq.outputs[0],
      node: p?.name ?? tensor,
      opType: p?.opType ?? 'input',
    });
  }
  return map;
}

function argmaxRows(t: Tensor): number[] {
  const k = t.shape[t.shape.length - 1];
  const rows = t.data.length / k;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++)
      if (Number(t.data[r * k + j]) > Number(t.data[r * k + best])) best = j;
    out.push(best);
  }
  return out;
}

/**
 * `floatModel` is the prepared float graph the QDQ model was written from. The QDQ model runs with literal
 * DequantizeLinear -> float op -> QuantizeLinear (fake quantization: equal to the integer kernels up to float
 * rounding), keeping every intermediate.
 */
export function measureSensitivity(
  floatModel: Model,
  qdqModel: Model,
  data: CalibrationData,
  batchSize = 32,
): SensitivityReport {
  const pf = prepareModel(floatModel);
  const pq = prepareModel(qdqModel, { literalQdq: true });
  const pairs = dequantizedOf(qdqModel);
  const acc = new Map<string, { s: number; n: number }>();
  const outName = floatModel.graph.outputs[0].name;
  const out = { s: 0, n: 0 };
  let agree = 0;
  let rows = 0;
  let samples = 0;
  for (const feeds of calibrationBatches(floatModel, data, batchSize)) {
    const f = runPrepared(pf, feeds, { keepIntermediates: true });
    const q = runPrepared(pq, feeds, { keepIntermediates: true });
    for (const [t, { dq }] of pairs) {
      const a = f[t];
      const b = q[dq];
      if (a === undefined || b === undefined || a.data.length !== b.data.length) continue;
      const e = acc.get(t) ?? { s: 0, n: 0 };
      for (let i = 0; i < a.data.length; i++) {
        const x = Number(a.data[i]);
        const d = x - Number(b.data[i]);
        e.s += x * x;
        e.n += d * d;
      }
      acc.set(t, e);
    }
    const fo = f[outName];
    const qo = q[outName];
    if (fo !== undefined && qo !== undefined && fo.data.length === qo.data.length) {
      for (let i = 0; i < fo.data.length; i++) {
        const x = Number(fo.data[i]);
        const d = x - Number(qo.data[i]);
        out.s += x * x;
        out.n += d * d;
      }
    }
    if (fo !== undefined && qo !== undefined && fo.shape.length >= 2) {
      const x = argmaxRows(fo);
      const y = argmaxRows(qo);
      x.forEach((v, i) => {
        if (v === y[i]) agree++;
      });
      rows += x.length;
    }
    samples += Object.values(feeds)[0].shape[0];
  }
  const layers: LayerSensitivity[] = [];
  for (const [t, { node, opType }] of pairs) {
    const e = acc.get(t);
    if (e === undefined || t === outName) continue;
    layers.push({ tensor: t, node, opType, sqnrDb: sqnr(e.s, e.n) });
  }
  layers.sort((a, b) => a.sqnrDb - b.sqnrDb);
  return {
    layers,
    output: {
      name: outName,
      sqnrDb: sqnr(out.s, out.n),
      top1Agreement: rows === 0 ? null : agree / rows,
    },
    samples,
  };
}
