// The README's main job on the bundled digits CNN: npuq (calibrate + quantize) → npuc (compile) → npusim
// (simulate every held-out image), printing float and int8 accuracy, cycles, utilisation and the trace's path.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../common/atomic-write.js';
import { reportError } from '../common/cli.js';
import { top1 } from '../common/metrics.js';
import { readNpy } from '../common/npy.js';
import { shapeStr, toNumbers, type Tensor } from '../common/tensor.js';
import { compile } from '../compiler/pipeline.js';
import { loadHwConfig, type HwConfig } from '../isa/hw-config.js';
import { writeProgram } from '../isa/program-file.js';
import type { Model } from '../onnx/graph.js';
import { encodeModel, loadModel, saveModel } from '../onnx/model-io.js';
import { quantizeModel } from '../quantizer/quantize-model.js';
import type { MethodName } from '../quantizer/calibrate/method.js';
import { prepareModel, runPrepared } from '../reference/interpreter.js';
import { NpuSession } from '../runtime/session.js';

const DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'models');

async function runOrt(model: Model, x: Tensor): Promise<Tensor> {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    // onnxruntime fuses int8-activation QDQ groups into integer kernels on x86 only when asked to
    extra: { session: { qdqisint8allowed: '1' } },
  });
  const name = session.inputNames[0];
  const result = await session.run({
    [name]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]),
  });
  const out = result[session.outputNames[0]];
  return { dtype: 'float32', shape: [...out.dims], data: out.data as Float32Array };
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const first = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npm run demo --')
    .option('model', {
      type: 'string',
      choices: ['cnn', 'transformer'],
      default: 'cnn',
      describe:
        'the digits CNN, or the digits transformer encoder (I-BERT integer kernels on the NPU)',
    })
    .option('hw', { type: 'string', default: 'warboy-2pe', describe: 'hardware preset or JSON' })
    .option('requant', { type: 'string', choices: ['float', 'fixed'], default: 'float' })
    .option('method', { type: 'string', default: 'minmax', describe: 'calibration method' })
    .option('symmetric', { type: 'boolean', default: false })
    .option('out', { type: 'string', default: 'out', describe: 'where the artefacts go' })
    .option('verbose', { type: 'boolean', default: false })
    .strict()
    .help()
    .parse();
  mkdirSync(argv.out, { recursive: true });
  const transformer = argv.model === 'transformer';
  const stem = transformer ? 'digits-transformer' : 'digits';
  const files = {
    quantized: join(argv.out, `${stem}.q.onnx`),
    program: join(argv.out, `${stem}.prog.bin`),
    trace: join(argv.out, `${stem}.trace.json`),
    stats: join(argv.out, `${stem}.stats.json`),
  };
  const floatFile = join(DIR, transformer ? 'digits-transformer.onnx' : 'digits-cnn.onnx');
  const x = readNpy(join(DIR, 'digits-test-x.npy'));
  const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));
  const calib = readNpy(join(DIR, 'digits-calib-x.npy'));
  const floatModel = loadModel(floatFile);
  console.log(
    `model    ${floatModel.file} (float32 ${transformer ? 'transformer encoder' : 'CNN'}, trained on the 8x8 digits of scikit-learn)`,
  );
  console.log(
    `data     ${x.shape[0]} held-out digits ${shapeStr(x.shape)}, ${calib.shape[0]} calibration images`,
  );

  // 1. npuq
  let t0 = performance.now();
  const q = await quantizeModel(floatModel, calib, {
    method: argv.method as MethodName,
    symmetric: argv.symmetric,
  });
  saveModel(q.model, files.quantized);
  console.log(
    `\nnpuq     ${argv.method}${argv.symmetric ? ' symmetric' : ''} calibration → ${files.quantized} ` +
      `(${q.model.graph.nodes.length} nodes, ${(performance.now() - t0).toFixed(0)} ms)`,
  );

  // 2. npuc
  t0 = performance.now();
  const base = loadHwConfig(argv.hw);
  const hw: HwConfig = { ...base, requant: argv.requant as HwConfig['requant'] };
  const qModel = loadModel(files.quantized);
  const dim = qModel.graph.inputs[0].shape?.[0];
  const c = compile(qModel, {
    hw,
    requant: hw.requant,
    cpuFallback: false,
    fixedDims: typeof dim === 'string' ? { [dim]: 1 } : {},
  });
  writeFileAtomic(files.program, writeProgram(c.program!));
  console.log(
    `npuc     ${c.graph.ops.length} NPU ops (${[...new Set(c.graph.ops.map((o) => o.kind))].join(', ')}), ` +
      `${c.program!.code.length} instructions → ${files.program} (${(performance.now() - t0).toFixed(0)} ms)`,
  );

  // 3. npusim: every test image (one program load, N inferences), then one traced inference
  const session = NpuSession.load(files.program, { hw });
  const input = session.inputs[0].name;
  t0 = performance.now();
  const sim = session.run({ [input]: x });
  const simMs = performance.now() - t0;
  const one: Tensor = {
    ...x,
    shape: [1, ...x.shape.slice(1)],
    data: x.data.slice(0, x.data.length / x.shape[0]),
  };
  const traced = session.run({ [input]: one }, { trace: true });
  writeFileAtomic(files.trace, JSON.stringify(traced.trace!.chrome));
  writeFileAtomic(files.stats, `${JSON.stringify(traced.stats, null, 2)}\n`);
  console.log(
    `npusim   ${sim.stats.inferences} inferences simulated in ${(simMs / 1000).toFixed(1)} s`,
  );

  // references: float model and int8 model in onnxruntime, the int8 model in our reference interpreter (for the
  // transformer with the I-BERT integer kernels the NPU runs; onnxruntime computes GELU/Softmax/LayerNorm in float)
  const floatOut = await runOrt(floatModel, x);
  const ortQ = await runOrt(qModel, x);
  const prepared = prepareModel(qModel, { integerKernels: transformer });
  const ref = first(runPrepared(prepared, { [input]: x }, { mode: hw.requant }));
  const npu = first(sim.outputs);
  let same = 0;
  let sameOrt = 0;
  for (let i = 0; i < npu.data.length; i++) {
    if (npu.data[i] === ref.data[i]) same++;
    if (npu.data[i] === ortQ.data[i]) sameOrt++;
  }

  const s = traced.stats;
  console.log('\naccuracy (top-1 on held-out digits)');
  console.log(`  float32 model, onnxruntime        ${pct(top1(floatOut, labels))}`);
  console.log(`  int8 model, onnxruntime           ${pct(top1(ortQ, labels))}`);
  console.log(`  int8 on the NPU (npusim)          ${pct(top1(npu, labels))}`);
  console.log(
    `  npusim = reference interpreter    ${pct(same / npu.data.length)} of output values identical`,
  );
  console.log(
    `  npusim = onnxruntime              ${pct(sameOrt / npu.data.length)} of output values identical` +
      (transformer ? ' (onnxruntime: float GELU/Softmax/LayerNorm)' : ''),
  );
  console.log(`\nperformance on ${hw.name} (${hw.requant} requant), one inference`);
  console.log(
    `  cycles                            ${s.cycles} (${s.latencyUs.toFixed(2)} us at ${s.clockMhz} MHz)`,
  );
  console.log(
    `  throughput                        ${(1e6 / s.latencyUs).toFixed(0)} inferences/s (batch 1)`,
  );
  console.log(
    `  MAC utilisation                   ${pct(s.mac.utilization)} of ${s.mac.macsPerCycle} MACs/cycle`,
  );
  console.log(
    `  DRAM traffic                      ${s.dram.bytesRead} B read, ${s.dram.bytesWritten} B written`,
  );
  console.log(`\ntrace    ${files.trace} (open in https://ui.perfetto.dev); stats ${files.stats}`);
  console.log(
    `same by hand: npm run npuq -- ${floatFile} -o ${files.quantized} --calib ${join(DIR, 'digits-calib-x.npy')}\n` +
      `              npm run npuc -- ${files.quantized} -o ${files.program} --hw ${hw.name} --requant ${hw.requant} --fix-dims ${String(dim)}=1\n` +
      `              npm run npusim -- ${files.program} --input ${input}=${join(DIR, 'digits-test-x.npy')} --trace ${files.trace}`,
  );
  return same === npu.data.length ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => (process.exitCode = reportError(e, process.argv.includes('--verbose'))),
);
