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
import { runDynamic } from './dynamic/dynamic-cli.js';
import { writePlots } from './report/plots.js';

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npuq')
    .usage(
      '$0 model.onnx -o model.q.onnx --calib data.npy [options]\n$0 model.onnx -o model.dq.onnx --dynamic [--per-tensor-weights] [--exclude ...]\n\nQuantizes a float ONNX model to int8 (QDQ), or dynamically (weights int8, activations at run time).',
    )
    .option('out', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      describe: 'output quantized model',
    })
    .option('calib', {
      type: 'string',
      describe:
        'calibration data: .npy (leading dim = sample) or a folder of .npy (required unless --dynamic)',
    })
    .option('method', {
      type: 'string',
      choices: ['minmax', 'entropy', 'percentile', 'mse', 'sqnr'],
      describe: 'range method (default minmax)',
    })
    .option('symmetric', {
      type: 'boolean',
      default: false,
      describe: 'symmetric activation ranges',
    })
    .option('percentile', {
      type: 'number',
      describe: 'PERCENTILE: share of values kept (default 99.99)',
    })
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
      describe:
        'dynamic quantization (onnxruntime quantize_dynamic): int8 weights, activations quantized at run time; no --calib',
    })
    .option('report', { type: 'string', describe: 'quantization and sensitivity report JSON' })
    .option('plots', {
      type: 'string',
      describe: 'folder for SVG histograms of the most sensitive layers (and index.html)',
    })
    .option('plot-layers', {
      type: 'number',
      describe: 'how many of the most sensitive layers --plots shows (default 4)',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();

  const file = String(argv._[0]);
  if (argv.dynamic) {
    return runDynamic({
      file,
      out: argv.out,
      perTensorWeights: argv['per-tensor-weights'],
      ...(argv.exclude !== undefined ? { exclude: argv.exclude } : {}),
      ...(argv.report !== undefined ? { report: argv.report } : {}),
      others: {
        calib: argv.calib,
        method: argv.method,
        symmetric: argv.symmetric,
        percentile: argv.percentile,
        'auto-exclude': argv['auto-exclude'],
        'input-type': argv['input-type'],
        'output-type': argv['output-type'],
        plots: argv.plots,
        'plot-layers': argv['plot-layers'],
      },
    });
  }
  if (argv.calib === undefined)
    throw new NpuError('badArgument', [
      '--calib is required (or use --dynamic, which needs no calibration data)',
    ]);
  const model = loadModel(file);
  const calib = loadCalibrationData(argv.calib);
  const options: QuantizeOptions = {
    method: (argv.method ?? 'minmax') as NonNullable<QuantizeOptions['method']>,
    symmetric: argv.symmetric,
    ...(argv.percentile !== undefined ? { percentile: argv.percentile } : {}),
    perTensorWeights: argv['per-tensor-weights'],
    sensitivity: argv.report !== undefined,
    exclude: (argv.exclude ?? '').split(',').filter((s) => s !== ''),
    ...(argv['auto-exclude'] !== undefined ? { autoExclude: argv['auto-exclude'] } : {}),
    ...(argv.plots !== undefined ? { plots: { layers: argv['plot-layers'] ?? 4 } } : {}),
    ...(argv['input-type'] !== undefined ? { inputType: argv['input-type'] as IoType } : {}),
    ...(argv['output-type'] !== undefined ? { outputType: argv['output-type'] as IoType } : {}),
    onProgress: (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\rcalibrating ${done}/${total}`);
    },
  };
  const plotLayers = argv['plot-layers'] ?? 4;
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
