#!/usr/bin/env node
// npuq: post-training int8 quantization of a float ONNX model (QDQ output).

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli } from '../common/cli.js';
import { notImplemented } from '../common/not-yet.js';

async function main(): Promise<number> {
  await yargs(hideBin(process.argv))
    .scriptName('npuq')
    .usage(
      '$0 model.onnx -o model.q.onnx --calib data.npy [options]\n\nQuantizes a float ONNX model to int8 (QDQ).',
    )
    .option('out', { alias: 'o', type: 'string', describe: 'output quantized model' })
    .option('calib', {
      type: 'string',
      describe: 'calibration data: .npy (leading dim = sample) or a folder of .npy',
    })
    .option('method', {
      type: 'string',
      choices: ['minmax', 'entropy', 'percentile', 'mse', 'sqnr'],
      default: 'minmax',
    })
    .option('symmetric', {
      type: 'boolean',
      default: false,
      describe: 'symmetric activation ranges',
    })
    .option('percentile', { type: 'number', default: 99.99 })
    .option('per-tensor-weights', { type: 'boolean', default: false })
    .option('exclude', { type: 'string', describe: 'comma-separated node names kept in float' })
    .option('auto-exclude', {
      type: 'number',
      describe: 'keep the N most sensitive layers in float',
    })
    .option('input-type', { type: 'string', choices: ['uint8', 'int8'] })
    .option('output-type', { type: 'string', choices: ['int8', 'uint8'] })
    .option('dynamic', { type: 'boolean', default: false, describe: 'dynamic quantization' })
    .option('report', { type: 'string', describe: 'sensitivity report JSON' })
    .option('plots', { type: 'string', describe: 'folder for SVG histograms' })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();
  return notImplemented('npuq', 5);
}

runCli(main);
