// The README's main job: the bundled quantized digits CNN through the reference interpreter, with accuracy.
// (Later milestones grow this into npuq → npuc → npusim.)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { reportError } from '../common/cli.js';
import { top1 } from '../common/metrics.js';
import { readNpy } from '../common/npy.js';
import { shapeStr, toNumbers, type Tensor } from '../common/tensor.js';
import { encodeModel, loadModel } from '../onnx/model-io.js';
import type { Model } from '../onnx/graph.js';
import { prepareModel, runPrepared } from '../reference/interpreter.js';
import type { RequantMode } from '../reference/kernel.js';

const DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'models');
const FLOAT_MODEL = join(DIR, 'digits-cnn.onnx');
const QUANT_MODEL = join(DIR, 'digits-cnn.qdq.onnx');

async function runOrt(model: Model, x: Tensor): Promise<Tensor> {
  const session = await ort.InferenceSession.create(encodeModel(model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    // onnxruntime fuses int8-activation QDQ groups into integer kernels on x86 only when asked to;
    // otherwise it runs them as float ops and differs from the integer semantics by ±1 (docs/semantics.md)
    extra: { session: { qdqisint8allowed: '1' } },
  });
  const inputName = session.inputNames[0];
  const result = await session.run({
    [inputName]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]),
  });
  const out = result[session.outputNames[0]];
  return { dtype: 'float32', shape: [...out.dims], data: out.data as Float32Array };
}

async function main(): Promise<number> {
  for (const f of [FLOAT_MODEL, QUANT_MODEL])
    if (!existsSync(f)) throw new Error(`bundled model missing: ${f}`);
  const x = readNpy(join(DIR, 'digits-test-x.npy'));
  const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));
  const floatModel = loadModel(FLOAT_MODEL);
  const qModel = loadModel(QUANT_MODEL);
  const inputName = qModel.graph.inputs[0].name;
  const ops = new Map<string, number>();
  for (const n of qModel.graph.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
  console.log(`model   ${QUANT_MODEL}`);
  console.log(
    `        ${qModel.graph.nodes.length} nodes: ${[...ops].map(([k, v]) => `${k}×${v}`).join(' ')}`,
  );
  console.log(`data    ${x.shape[0]} held-out 8x8 digits, input ${inputName}${shapeStr(x.shape)}`);

  const floatOut = await runOrt(floatModel, x);
  const ortQ = await runOrt(qModel, x);
  const prepared = prepareModel(qModel);
  const results: Record<RequantMode, Tensor> = {} as Record<RequantMode, Tensor>;
  for (const mode of ['float', 'fixed'] as const) {
    const t0 = performance.now();
    const out = runPrepared(prepared, { [inputName]: x }, { mode });
    results[mode] = Object.values(out)[0]!;
    console.log(`ran     reference (${mode} requant) in ${(performance.now() - t0).toFixed(0)} ms`);
  }

  console.log('\nfirst samples (label: reference int8 logits, dequantized)');
  const k = results.float.data.length / results.float.shape[0];
  for (let i = 0; i < 3; i++) {
    const row = toNumbers(results.float)
      .slice(i * k, (i + 1) * k)
      .map((v) => v.toFixed(2));
    console.log(`  ${labels[i]}: [${row.join(', ')}]`);
  }

  const same = (a: Tensor, b: Tensor): number => {
    let eq = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) eq++;
    return eq / a.data.length;
  };
  console.log('\naccuracy (top-1 on held-out digits)');
  console.log(`  float32 model (onnxruntime)       ${(100 * top1(floatOut, labels)).toFixed(2)}%`);
  console.log(
    `  int8 reference, float requant     ${(100 * top1(results.float, labels)).toFixed(2)}%`,
  );
  console.log(
    `  int8 reference, fixed requant     ${(100 * top1(results.fixed, labels)).toFixed(2)}%`,
  );
  console.log(`  int8 model (onnxruntime)          ${(100 * top1(ortQ, labels)).toFixed(2)}%`);
  console.log('\nagreement');
  console.log(
    `  reference (float) = onnxruntime   ${(100 * same(results.float, ortQ)).toFixed(2)}% of output values identical`,
  );
  console.log(
    `  float vs fixed requant            ${(100 * same(results.float, results.fixed)).toFixed(2)}% identical`,
  );
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => (process.exitCode = reportError(e, process.argv.includes('--verbose'))),
);
