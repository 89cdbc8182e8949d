// Runs the float model over the calibration batches with every float activation exposed and accumulates statistics.

import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { encodeModel } from '../../onnx/model-io.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { calibrationBatches, sampleCount, type CalibrationData } from './batches.js';
import { TensorStats, type CalibrationStats } from './stats.js';

export type CalibrationEngine = 'onnxruntime' | 'reference';

export interface CollectOptions {
  /** onnxruntime-node (default, fast) or the reference interpreter (no native code). */
  engine?: CalibrationEngine;
  batchSize?: number;
  /** Histogram bins per tensor (2048). */
  bins?: number;
  /** Called after each batch with the samples done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Float tensors worth calibrating: graph inputs and node outputs of float32 type. */
export function activationNames(model: Model): string[] {
  const g = model.graph;
  const infos = inferShapes(model);
  const names: string[] = [];
  const seen = new Set<string>();
  const consider = (name: string): void => {
    if (name === '' || seen.has(name) || g.initializers.has(name)) return;
    seen.add(name);
    if (infos.get(name)?.dtype === 'float32') names.push(name);
  };
  for (const i of g.inputs) consider(i.name);
  for (const n of g.nodes) for (const o of n.outputs) consider(o);
  return names;
}

type BatchRunner = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

async function ortRunner(
  model: Model,
  names: string[],
): Promise<{ run: BatchRunner; close: () => Promise<void> }> {
  const outputs = new Set(model.graph.outputs.map((o) => o.name));
  const inputs = new Set(model.graph.inputs.map((i) => i.name));
  const extra = names
    .filter((n) => !outputs.has(n) && !inputs.has(n))
    .map((name) => ({ name, dtype: 'float32' as const }));
  const augmented: Model = {
    ...model,
    graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] },
  };
  const session = await ort.InferenceSession.create(encodeModel(augmented), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    // no fusions: every exposed tensor must be the one the float graph defines
    graphOptimizationLevel: 'basic',
    logSeverityLevel: 3,
  });
  const run: BatchRunner = async (feeds) => {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      ortFeeds[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
    const res = await session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(res)) {
      if (v.type === 'float32')
        out[k] = { dtype: 'float32', shape: v.dims.map(Number), data: v.data as Float32Array };
    }
    return out;
  };
  return { run, close: () => session.release() };
}

function referenceRunner(model: Model): { run: BatchRunner; close: () => Promise<void> } {
  const prepared = prepareModel(model);
  const run: BatchRunner = (feeds) =>
    Promise.resolve(runPrepared(prepared, feeds, { keepIntermediates: true }));
  return { run, close: () => Promise.resolve() };
}

/** Min / max and histograms of every float activation over all calibration samples. */
export async function collectStats(
  model: Model,
  data: CalibrationData,
  opts: CollectOptions = {},
): Promise<CalibrationStats> {
  const names = activationNames(model);
  const tensors = new Map(names.map((n) => [n, new TensorStats(opts.bins ?? 2048)]));
  const runner =
    opts.engine === 'reference' ? referenceRunner(model) : await ortRunner(model, names);
  const total = sampleCount(data);
  let done = 0;
  try {
    for (const feeds of calibrationBatches(model, data, opts.batchSize)) {
      const values = await runner.run(feeds);
      for (const [name, st] of tensors) {
        const v = values[name] ?? feeds[name];
        if (v !== undefined && v.dtype === 'float32') st.add(v.data as Float32Array, true);
      }
      done += Object.values(feeds)[0].shape[0];
      opts.onProgress?.(done, total);
    }
  } finally {
    await runner.close();
  }
  return { tensors, samples: done };
}
