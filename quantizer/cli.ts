#!/usr/bin/env node
// npuq: post-training int8 quantization of a float ONNX model (QDQ output).

import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../common/atomic-write.js';
import { EXIT, runCli } from '../common/cli.js';
import { NpuError } from '../common/diagnostics.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import { loadCalibrationData } from './calibrate/load.js';
import type { IoType } from './edit/model-editor.js';
import { quantizeModel, type QuantizeOptions } from './quantize-model.js';
import { writePlots } from './report/plots.js';

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npuq')
    .usage(
      '$0 model.onnx -o model.q.onnx --calib data.npy [options]\n\nQuantizes a float ONNX model to int8 (QDQ).',
    )
    .option('out', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      describe: 'output quantized model',
    })
    .option('calib', {
      type: 'string',
      demandOption: true,
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
    .option('input-type', {
      type: 'string',
      choices: ['uint8', 'int8'],
      describe:
        'integer model input: removes the input QuantizeLinear (uint8 shifts the zero point by 128)',
    })
    .option('output-type', {
      type: 'string',
      choices: ['int8', 'uint8'],
      describe: 'integer model output: removes the output DequantizeLinear',
    })
    .option('dynamic', {
      type: 'boolean',
      default: false,
      describe: 'dynamic quantization (not implemented yet)',
    })
    .option('report', { type: 'string', describe: 'quantization and sensitivity report JSON' })
    .option('plots', {
      type: 'string',
      describe: 'folder for SVG histograms of the most sensitive layers (and index.html)',
    })
    .option('plot-layers', {
      type: 'number',
      default: 4,
      describe: 'how many of the most sensitive layers --plots shows',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();

  if (argv.dynamic)
    throw new NpuError('unsupported', ['--dynamic is not implemented yet (issue 5)']);

  const file = String(argv._[0]);
  const model = loadModel(file);
  const calib = loadCalibrationData(argv.calib);
  const options: QuantizeOptions = {
    method: argv.method as NonNullable<QuantizeOptions['method']>,
    symmetric: argv.symmetric,
    percentile: argv.percentile,
    perTensorWeights: argv['per-tensor-weights'],
    sensitivity: argv.report !== undefined,
    exclude: (argv.exclude ?? '').split(',').filter((s) => s !== ''),
    ...(argv['auto-exclude'] !== undefined ? { autoExclude: argv['auto-exclude'] } : {}),
    ...(argv.plots !== undefined ? { plots: { layers: argv['plot-layers'] } } : {}),
    ...(argv['input-type'] !== undefined ? { inputType: argv['input-type'] as IoType } : {}),
    ...(argv['output-type'] !== undefined ? { outputType: argv['output-type'] as IoType } : {}),
    onProgress: (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\rcalibrating ${done}/${total}`);
    },
  };
  const plotLayers = argv['plot-layers'];
  if (!(Number.isInteger(plotLayers) && plotLayers >= 1))
    throw new NpuError('badArgument', [`--plot-layers ${plotLayers} is not a positive integer`]);
  const { model: q, report, plots } = await quantizeModel(model, calib, options);
  if (process.stderr.isTTY) process.stderr.write('\n');
  saveModel(q, argv.out);
  process.stdout.write(
    `wrote ${argv.out} (${options.method}${argv.symmetric ? ', symmetric' : ''})\n`,
  );
  for (const e of report.io ?? []) {
    process.stdout.write(
      `${e.kind} '${e.tensor}' is ${e.dtype}: value = (q - ${e.zeroPoint}) * ${e.scale}\n`,
    );
  }
  if (argv.plots !== undefined && plots !== undefined) {
    writePlots(argv.plots, plots);
    process.stdout.write(
      `plots of ${plots.layers.length} layers written to ${join(argv.plots, 'index.html')}\n`,
    );
  }
  if (argv.report !== undefined) {
    writeFileAtomic(argv.report, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${argv.report}\n`);
  }
  return EXIT.ok;
}

runCli(main);
