// onnxruntime-node as a test oracle: builds a CPU session from a Model IR and runs it on our Tensor type.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DType, Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model-io.js';

/**
 * Single-threaded (deterministic reduction order), full graph optimization (so QDQ groups fuse into
 * QLinear* ops as in production), and x64quantprecision so U8S8 GEMMs avoid the saturating
 * PMADDUBSW path on non-VNNI x86 CPUs.
 */
export const ORT_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  // warnings only (e.g. the NCHWc note when saving an optimized model); errors still surface as exceptions
  logSeverityLevel: 3,
  extra: { session: { x64quantprecision: '1' } },
};

/**
 * ORT_OPTIONS without x64quantprecision, for graphs with int8 ACTIVATIONS. On every AVX2 x86 CPU (VNNI or not,
 * `MlasPlatformU8S8Overflow()`), that option adds Avx2WeightS8ToU8Transformer, which rewrites any int8 weight
 * with |w| > 64 of QLinearConv / QLinearMatMul / QGemm to uint8 without looking at the activation type; an
 * int8-activation node then has no kernel (s8 x, u8 w) and session creation fails (ORT 1.30; demonstrated in
 * qlinear-conv.test.ts). The option only guards U8S8 GEMMs, so S8S8 nodes lose nothing without it.
 */
export const ORT_OPTIONS_S8: ort.InferenceSession.SessionOptions = { ...ORT_OPTIONS, extra: {} };

/** The session options for a graph whose quantized activations have the given dtype. */
export const ortOptionsFor = (activation: DType): ort.InferenceSession.SessionOptions =>
  activation === 'int8' ? ORT_OPTIONS_S8 : ORT_OPTIONS;

type OrtType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';
const ORT_TYPES: Partial<Record<DType, OrtType>> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
};

export function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  // float16 would need a Uint16Array of half bits; no differential test feeds float16
  if (type === undefined)
    throw new Error(`toOrt: dtype ${t.dtype} is not supported by the test helper`);
  return new ort.Tensor(type, t.data, [...t.shape]);
}

export function fromOrt(v: ort.OnnxValue): Tensor {
  const t = v;
  const dtype = t.type as DType;
  if (!(dtype in ORT_TYPES)) throw new Error(`fromOrt: unsupported onnxruntime type ${t.type}`);
  // copy: the native output buffer belongs to the session's result object
  const data = (t.data as unknown as { slice(): Tensor['data'] }).slice();
  return { dtype, shape: t.dims.map(Number), data };
}

export async function createSession(
  model: Model,
  options: ort.InferenceSession.SessionOptions = ORT_OPTIONS,
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), options);
}

export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
  const results = await session.run(ortFeeds);
  const out: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(results)) out[name] = fromOrt(v);
  return out;
}

/** Builds a session, runs it once and releases it. */
export async function runOrt(
  model: Model,
  feeds: Record<string, Tensor>,
  options: ort.InferenceSession.SessionOptions = ORT_OPTIONS,
): Promise<Record<string, Tensor>> {
  const session = await createSession(model, options);
  try {
    return await runSession(session, feeds);
  } finally {
    await session.release();
  }
}

/**
 * Runs once while saving the graph ORT actually executes, and lists its node types ('domain:OpType' for
 * non-default domains), e.g. to tell whether a QDQ group was fused into QLinearConv or ran in float.
 */
export async function runOrtWithPlan(
  model: Model,
  feeds: Record<string, Tensor>,
  options: ort.InferenceSession.SessionOptions = ORT_OPTIONS,
): Promise<{ outputs: Record<string, Tensor>; plan: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ort-plan-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const outputs = await runOrt(model, feeds, { ...options, optimizedModelFilePath: path });
    const optimized = decodeModel(new Uint8Array(readFileSync(path)));
    const plan = optimized.graph.nodes.map((n) =>
      n.domain === '' ? n.opType : `${n.domain}:${n.opType}`,
    );
    return { outputs, plan };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- comparing our integer outputs with onnxruntime's ----

export interface DiffStats {
  count: number;
  exact: number;
  maxDiff: number;
  /** First differing element: flat index, ours, onnxruntime's. */
  first?: { index: number; ours: number; ort: number };
}

/** Element-wise comparison of two tensors of the same dtype and shape (throws if those differ). */
export function diffTensors(ours: Tensor, theirs: Tensor): DiffStats {
  if (ours.dtype !== theirs.dtype || ours.shape.join(',') !== theirs.shape.join(',')) {
    throw new Error(
      `ours is ${ours.dtype}[${ours.shape.join(',')}], onnxruntime's is ${theirs.dtype}[${theirs.shape.join(',')}]`,
    );
  }
  const stats: DiffStats = { count: ours.data.length, exact: 0, maxDiff: 0 };
  for (let i = 0; i < ours.data.length; i++) {
    const a = Number(ours.data[i]);
    const b = Number(theirs.data[i]);
    const d = Math.abs(a - b);
    if (d === 0) stats.exact++;
    else stats.first ??= { index: i, ours: a, ort: b };
    if (d > stats.maxDiff) stats.maxDiff = d;
  }
  return stats;
}

export const describeDiff = (s: DiffStats): string =>
  `${s.count - s.exact} of ${s.count} values differ (max |diff| ${s.maxDiff})` +
  (s.first === undefined
    ? ''
    : `; first at flat index ${s.first.index}: ours ${s.first.ours}, onnxruntime ${s.first.ort}`);

/** Accumulates DiffStats over the runs of a property, for the exact-match summary line. */
export class MatchTally {
  count = 0;
  exact = 0;
  maxDiff = 0;
  runs = 0;
  readonly label: string;

  constructor(label: string) {
    this.label = label;
  }

  add(s: DiffStats): void {
    this.count += s.count;
    this.exact += s.exact;
    this.maxDiff = Math.max(this.maxDiff, s.maxDiff);
    this.runs++;
  }

  summary(): string {
    const pct = this.count === 0 ? 'n/a' : `${((100 * this.exact) / this.count).toFixed(2)}%`;
    return `${this.label}: exact ${pct} of ${this.count} values (${this.runs} cases), max diff ${this.maxDiff}`;
  }
}
