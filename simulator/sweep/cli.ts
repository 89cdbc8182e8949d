#!/usr/bin/env node
// npusweep / `npusim sweep`: compiles and simulates a model at every point of a hardware-parameter grid.
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, runCli } from '../../common/cli.js';
import { sweepKeys } from './grid.js';
import { sweep } from './sweep.js';

async function main(): Promise<number> {
  const args = hideBin(process.argv);
  const argv = await yargs(args[0] === 'sweep' ? args.slice(1) : args)
    .scriptName('npusim sweep')
    .usage(
      '$0 model.onnx --set mac.width=16,32,64 --set sram.kib=128,256 [options]\n\n' +
        'Compiles and simulates a quantized ONNX model for every point of the grid (in parallel) and writes\n' +
        `results.csv, SVG plots and index.html. --set keys: ${sweepKeys().join(', ')}.`,
    )
    .option('set', {
      type: 'string',
      array: true,
      default: [],
      describe: 'an axis: key=v1,v2,... (repeatable)',
    })
    .option('hw', {
      type: 'string',
      default: 'warboy-2pe',
      describe: 'base hardware preset or JSON file',
    })
    .option('requant', { type: 'string', describe: "requant modes to sweep, e.g. 'float,fixed'" })
    .option('batch', {
      type: 'number',
      default: 1,
      describe: 'value of the symbolic (batch) input dimensions',
    })
    .option('input', {
      type: 'string',
      describe: 'input .npy for the first model input (default: seeded random)',
    })
    .option('seed', { type: 'string', default: 'npusweep', describe: 'seed of the random input' })
    .option('out', {
      alias: 'o',
      type: 'string',
      default: 'sweep-out',
      describe: 'output directory',
    })
    .option('jobs', {
      alias: 'j',
      type: 'number',
      describe: 'parallel worker processes (default: CPU count)',
    })
    .option('detail', {
      type: 'boolean',
      default: true,
      describe: 'per-point roofline and timeline (--no-detail: faster)',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();
  const model = String(argv._[0]);
  const r = await sweep({
    model,
    sets: argv.set,
    hw: argv.hw,
    ...(argv.requant === undefined ? {} : { requant: argv.requant }),
    batch: argv.batch,
    ...(argv.input === undefined ? {} : { input: argv.input }),
    seed: argv.seed,
    outDir: argv.out,
    ...(argv.jobs === undefined ? {} : { jobs: argv.jobs }),
    detail: argv.detail,
    onResult: (res, p) => {
      const m = res.metrics;
      const what =
        m === undefined
          ? `error: ${res.error}`
          : `${m.cycles} cycles (${m.inferences} inference(s)), ${m.latencyUs.toFixed(2)} us per inference, ${(100 * m.macUtilisation).toFixed(2)}% MAC, ` +
            `${(m.dramBytes / 1e6).toFixed(3)} MB DRAM, ${m.energyUj.toFixed(2)} uJ, ${m.topsPerWatt.toFixed(3)} TOPS/W`;
      process.stdout.write(`point ${p.index} [${p.labels.join(', ')}]: ${what}\n`);
    },
  });
  const failed = r.results.filter((x) => x.error !== undefined).length;
  process.stdout.write(
    `${r.points.length} points (${failed} failed) written to ${join(argv.out, 'results.csv')}, ` +
      `${r.files.filter((f) => f.endsWith('.svg')).length} plots, ${join(argv.out, 'index.html')}\n`,
  );
  return EXIT.ok;
}

runCli(main);
