// `npm run bench`: the benchmark set through npuc and npusim against onnxruntime-node on the same quantized ONNX,
// in one run on this machine; prints the table and records it in docs/performance.md.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../common/atomic-write.js';
import { reportError } from '../common/cli.js';
import { readNpy } from '../common/npy.js';
import type { Tensor } from '../common/tensor.js';
import { compile } from '../compiler/pipeline.js';
import { loadHwConfig } from '../isa/hw-config.js';
import type { Model } from '../onnx/graph.js';
import { encodeModel, loadModel } from '../onnx/model-io.js';
import { NpuSession } from '../runtime/session.js';
import { estimateMacs } from './zoo/float-models.js';
import { quantizedZooModel, type ZooName } from './zoo/quantized.js';

const ROOT = join(import.meta.dirname, '..');
const DOC = join(ROOT, 'docs', 'performance.md');
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

interface Row {
  model: string;
  gmacs: number;
  ortMs: number;
  simMs: number;
  compileMs: number;
  cycles: number;
  latencyUs: number;
  utilisation: number;
  macsPerHostSecond: number;
  dramMB: number;
  /** npusim with --trace over without (goal: at most 1.5). */
  traceRatio: number;
  /** ms per inference of a batch of BATCH inferences in one run (steady rate: about simMs). */
  batchMsPerInference: number;
  /** The same batch split over PARALLEL worker threads (NpuSession.runParallel, warmed up; median of the runs). */
  parallelMsPerInference: number;
  /** Peak resident memory of a separate npuc process compiling the model file, and the model file's size. */
  npucPeakMB: number;
  modelMB: number;
}

const BATCH = 4;
const PARALLEL = 2;
const WARMUP_MS = 1000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function timeOrt(model: Model, x: Tensor, runs: number): Promise<number> {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // int8 QDQ groups run as integer kernels on x86 only with this option (as in production deployments)
    extra: { session: { qdqisint8allowed: '1' } },
  });
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]),
  };
  await session.run(feeds); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

/** `n` copies of a one-inference input along the leading dimension. */
function stackBatch(x: Tensor, n: number): Tensor {
  const data = new Float32Array(n * x.data.length);
  for (let b = 0; b < n; b++) data.set(x.data as Float32Array, b * x.data.length);
  return { dtype: 'float32', shape: [n * x.shape[0], ...x.shape.slice(1)], data };
}

/** Compiles the model file in a fresh process (bench/compile-child.ts) to measure npuc's peak memory alone. */
function npucPeak(model: Model, hwName: string): { maxRssMB: number; modelMB: number } {
  const dir = mkdtempSync(join(tmpdir(), 'npu-bench-'));
  try {
    const file = join(dir, 'model.onnx');
    const bytes = encodeModel(model);
    writeFileSync(file, bytes);
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench', 'compile-child.ts'), file, hwName],
      { encoding: 'utf8' },
    );
    return {
      maxRssMB: (JSON.parse(out) as { maxRssMB: number }).maxRssMB,
      modelMB: bytes.length / 2 ** 20,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bench(
  name: string,
  model: Model,
  x: Tensor,
  hwName: string,
  runs: number,
): Promise<Row> {
  const hw = loadHwConfig(hwName);
  const dim = model.graph.inputs[0].shape?.[0];
  let t0 = performance.now();
  const c = compile(model, {
    hw,
    requant: hw.requant,
    cpuFallback: false,
    fixedDims: typeof dim === 'string' ? { [dim]: 1 } : {},
  });
  const compileMs = performance.now() - t0;
  const session = new NpuSession(c.program!, { hw });
  const input = session.inputs[0].name;
  // warm-up until the JIT has settled: at least one run, up to WARMUP_MS or 50 runs (small models need many)
  let last = session.run({ [input]: x });
  const w0 = performance.now();
  for (let r = 0; r < 50 && performance.now() - w0 < WARMUP_MS; r++)
    last = session.run({ [input]: x });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    last = session.run({ [input]: x });
    times.push(performance.now() - t0);
  }
  const simMs = median(times);
  const s = last.stats;
  // what npusim --trace file.json does: collect the records and write the Perfetto JSON (warmed up like run())
  const tracedRun = (): string =>
    JSON.stringify(session.run({ [input]: x }, { trace: true }).trace!.chrome);
  const tw = performance.now();
  for (let r = 0; r < 50 && performance.now() - tw < WARMUP_MS; r++) tracedRun();
  const traced: number[] = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    tracedRun();
    traced.push(performance.now() - t0);
  }
  const batch = stackBatch(x, BATCH);
  t0 = performance.now();
  session.run({ [input]: batch });
  const batchMsPerInference = (performance.now() - t0) / BATCH;
  // warm-up as above, one inference per worker: starts the threads, loads the program, settles their JIT
  const pair = { [input]: stackBatch(x, PARALLEL) };
  await session.runParallel(pair, { workers: PARALLEL });
  const p0 = performance.now();
  for (let r = 0; r < 50 && performance.now() - p0 < WARMUP_MS; r++)
    await session.runParallel(pair, { workers: PARALLEL });
  const parallel: number[] = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    await session.runParallel({ [input]: batch }, { workers: PARALLEL });
    parallel.push((performance.now() - t0) / BATCH);
  }
  const parallelMsPerInference = median(parallel);
  await session.close();
  const peak = npucPeak(model, hwName);
  const ortMs = await timeOrt(model, x, Math.max(5, runs));
  return {
    model: name,
    gmacs: estimateMacs(model) / 1e9,
    ortMs,
    simMs,
    compileMs,
    cycles: s.cycles,
    latencyUs: s.latencyUs,
    utilisation: s.mac.utilization,
    macsPerHostSecond: s.mac.usefulMacs / (simMs / 1000),
    dramMB: (s.dram.bytesRead + s.dram.bytesWritten) / 1e6,
    traceRatio: median(traced) / simMs,
    batchMsPerInference,
    parallelMsPerInference,
    npucPeakMB: peak.maxRssMB,
    modelMB: peak.modelMB,
  };
}

function table(rows: Row[], hwName: string): string {
  const head =
    '| model | GMACs | onnxruntime ms | npusim ms | ratio | trace x | batch-4 ms / inf. | batch-4, 2 workers ms / inf. | npuc ms | npuc peak MB (bound) | simulated cycles | latency us | MAC util. | sim MACs / host s | DRAM MB |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map(
    (r) =>
      `| ${r.model} | ${r.gmacs.toFixed(3)} | ${r.ortMs.toFixed(1)} | ${r.simMs.toFixed(1)} | ${(r.simMs / r.ortMs).toFixed(2)} | ` +
      `${r.traceRatio.toFixed(2)} | ${r.batchMsPerInference.toFixed(1)} | ${r.parallelMsPerInference.toFixed(1)} | ` +
      `${r.compileMs.toFixed(0)} | ${r.npucPeakMB.toFixed(0)} (${(3 * r.modelMB + 200).toFixed(0)}) | ${r.cycles} | ${r.latencyUs.toFixed(1)} | ${(100 * r.utilisation).toFixed(2)}% | ` +
      `${(r.macsPerHostSecond / 1e9).toFixed(3)} G | ${r.dramMB.toFixed(1)} |`,
  );
  return `Hardware model: ${hwName}. ${head}\n${body.join('\n')}`.replace('. |', '.\n\n|');
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npm run bench --')
    .option('hw', { type: 'string', default: 'warboy-2pe' })
    .option('runs', {
      type: 'number',
      default: 5,
      describe: 'timed runs per model (median; after a warm-up)',
    })
    .option('models', {
      type: 'string',
      default: 'digits,resnet18,mobilenetV2,resnet50',
      describe: 'comma-separated: digits and bench/zoo names',
    })
    .option('doc', {
      type: 'boolean',
      default: true,
      describe: 'record the table in docs/performance.md (--no-doc: print only)',
    })
    .strict()
    .help()
    .parse();
  const rows: Row[] = [];
  for (const name of argv.models.split(',')) {
    let model: Model;
    let x: Tensor;
    if (name === 'digits') {
      model = loadModel(join(ROOT, 'test', 'fixtures', 'models', 'digits-cnn.qdq.onnx'));
      const all = readNpy(join(ROOT, 'test', 'fixtures', 'models', 'digits-test-x.npy'));
      x = { dtype: 'float32', shape: [1, ...all.shape.slice(1)], data: all.data.slice(0, 64) };
    } else {
      process.stderr.write(`quantizing ${name} (224x224, random weights)...\n`);
      const z = await quantizedZooModel(name as ZooName, { preset: 'bench' });
      model = z.quantized;
      const per = z.calib.data.length / z.calib.shape[0];
      x = {
        dtype: 'float32',
        shape: [1, ...z.calib.shape.slice(1)],
        data: z.calib.data.slice(0, per),
      };
    }
    process.stderr.write(`benchmarking ${name}...\n`);
    const row = await bench(name, model, x, argv.hw, argv.runs);
    rows.push(row);
    process.stderr.write(`  ${JSON.stringify(row)}\n`);
  }
  const machine = `${cpus()[0].model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const text =
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; onnxruntime-node 1 thread, medians of ` +
    `${argv.runs} runs after a warm-up (onnxruntime: ${Math.max(5, argv.runs)}). ratio = npusim ms / onnxruntime ms.\n\n` +
    table(rows, argv.hw);
  console.log(text);
  if (argv.doc) {
    const doc = readFileSync(DOC, 'utf8');
    const [a, b] = [doc.indexOf(BEGIN), doc.indexOf(END)];
    if (a < 0 || b < a) throw new Error(`${DOC}: bench markers missing`);
    writeFileAtomic(DOC, `${doc.slice(0, a + BEGIN.length)}\n${text}\n${doc.slice(b)}`);
    console.log(`\nrecorded in ${DOC}`);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => (process.exitCode = reportError(e, process.argv.includes('--verbose'))),
);
