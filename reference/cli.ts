#!/usr/bin/env node
// npuref: run an ONNX model (float or quantized, QDQ or QOperator) through the reference interpreter.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, parseNamedPaths, runCli } from '../common/cli.js';
import { NpuError } from '../common/diagnostics.js';
import { readNpy, writeNpy } from '../common/npy.js';
import { shapeStr, type Tensor } from '../common/tensor.js';
import { loadModel } from '../onnx/model-io.js';
import type { RequantMode } from './kernel.js';
import { runModel } from './interpreter.js';
import { formatTensorSummary } from './summary.js';

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npuref')
    .usage(
      '$0 model.onnx --input name=x.npy [...]\n\nRuns a model through the bit-exact reference interpreter.',
    )
    .positional('model', { type: 'string', describe: 'ONNX model (float, QDQ or QOperator)' })
    .option('input', {
      alias: 'i',
      type: 'string',
      array: true,
      describe: 'graph input as name=file.npy (repeatable)',
    })
    .option('mode', {
      type: 'string',
      choices: ['float', 'fixed'],
      default: 'float',
      describe: 'requantization semantics',
    })
    .option('integer-kernels', {
      type: 'boolean',
      default: false,
      describe:
        'lower QDQ Softmax / LayerNormalization / Gelu to the I-BERT integer kernels (as the NPU)',
    })
    .option('output-dir', {
      alias: 'o',
      type: 'string',
      describe: 'write each output as <dir>/<name>.npy',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();

  const modelPath = String(argv._[0]);
  const model = loadModel(modelPath);
  const feeds: Record<string, Tensor> = {};
  const named = parseNamedPaths(argv.input, '--input');
  if (named.length === 0 && model.graph.inputs.length > 0) {
    throw new NpuError('badArgument', [
      `the model needs inputs: ${model.graph.inputs.map((i) => i.name).join(', ')} (give --input name=file.npy)`,
    ]);
  }
  for (const [name, path] of named) feeds[name] = readNpy(path);

  const outputs = runModel(model, feeds, {
    mode: argv.mode as RequantMode,
    integerKernels: argv['integer-kernels'],
  });
  for (const [name, t] of Object.entries(outputs)) {
    process.stdout.write(`${name}: ${t.dtype}${shapeStr(t.shape)} ${formatTensorSummary(t)}\n`);
  }
  const dir = argv['output-dir'];
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    for (const [name, t] of Object.entries(outputs)) {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
      writeNpy(file, t);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  return EXIT.ok;
}

runCli(main);
