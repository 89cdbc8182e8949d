#!/usr/bin/env node
// npusim: runs a prog.bin bit-exactly and estimates its cycles on the configured NPU.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli } from '../common/cli.js';
import { notImplemented } from '../common/not-yet.js';

async function main(): Promise<number> {
  await yargs(hideBin(process.argv))
    .scriptName('npusim')
    .usage(
      '$0 prog.bin [--input name=x.npy]... [options]\n\nSimulates an NPU program: bit-exact outputs and cycle estimates.',
    )
    .option('input', {
      alias: 'i',
      type: 'string',
      array: true,
      describe: 'input as name=file.npy (repeatable)',
    })
    .option('output-dir', { type: 'string', describe: 'where outputs are written as .npy' })
    .option('raw', {
      type: 'boolean',
      default: false,
      describe: 'write raw integer outputs instead of dequantized float32',
    })
    .option('trace', {
      type: 'string',
      describe: 'write a Chrome/Perfetto trace (no file: print a log)',
    })
    .option('stats', { type: 'string', describe: 'write statistics JSON' })
    .option('hw', {
      type: 'string',
      default: 'warboy-2pe',
      describe: 'hardware preset name or JSON file',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the program file')
    .strict()
    .help()
    .parse();
  return notImplemented('npusim', 3);
}

runCli(main);
