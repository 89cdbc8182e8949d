#!/usr/bin/env node
// npuc: quantized ONNX → prog.bin for the Warboy-like NPU.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli } from '../common/cli.js';
import { notImplemented } from '../common/not-yet.js';

async function main(): Promise<number> {
  await yargs(hideBin(process.argv))
    .scriptName('npuc')
    .usage(
      '$0 model.onnx -o prog.bin [options]\n\nCompiles a quantized ONNX model (QDQ or QOperator) to an NPU program.',
    )
    .option('out', { alias: 'o', type: 'string', describe: 'output program (prog.bin)' })
    .option('hw', {
      type: 'string',
      default: 'warboy-2pe',
      describe: 'hardware preset name or JSON file',
    })
    .option('requant', {
      type: 'string',
      choices: ['float', 'fixed'],
      default: 'float',
      describe: 'requantization semantics',
    })
    .option('emit-asm', { type: 'string', describe: 'also write the program as assembly text' })
    .option('report', { type: 'string', describe: 'write a per-layer JSON report' })
    .option('cpu-fallback', {
      type: 'boolean',
      default: false,
      describe: 'run unsupported nodes on the host',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();
  return notImplemented('npuc', 4);
}

runCli(main);
