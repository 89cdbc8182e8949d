#!/usr/bin/env node
// npuc: quantized ONNX → prog.bin for the Warboy-like NPU.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../common/atomic-write.js';
import { EXIT, runCli } from '../common/cli.js';
import { NpuError } from '../common/diagnostics.js';
import { disassemble } from '../isa/asm.js';
import { loadHwConfig, type HwConfig } from '../isa/hw-config.js';
import { writeProgram } from '../isa/program-file.js';
import { loadModel } from '../onnx/model-io.js';
import { compile } from './pipeline.js';
import { compileReport } from './report.js';

function parseFixDims(values: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (m === null) throw new NpuError('badArgument', [`--fix-dims expects name=N, got '${v}'`]);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npuc')
    .usage(
      '$0 model.onnx -o prog.bin [options]\n\nCompiles a quantized ONNX model (QDQ or QOperator) to an NPU program.\n' +
        'Without -o, it checks compatibility and prints the estimate (--report for per-layer details).',
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
      describe: "requantization semantics (default: the hardware config's)",
    })
    .option('emit-asm', { type: 'string', describe: 'also write the program as assembly text' })
    .option('report', { type: 'string', describe: 'write a per-layer JSON report' })
    .option('cpu-fallback', {
      type: 'boolean',
      default: false,
      describe: 'run unsupported nodes on the host',
    })
    .option('fix-dims', {
      type: 'string',
      array: true,
      describe: 'fix a dynamic dimension, e.g. batch=1 (repeatable)',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the model file')
    .strict()
    .help()
    .parse();

  const file = String(argv._[0]);
  const base = loadHwConfig(argv.hw);
  const requant = (argv.requant ?? base.requant) as HwConfig['requant'];
  // the requant mode is part of the hardware (and of its fingerprint): npusim must be given the same --requant
  const hw: HwConfig = { ...base, requant };
  const model = loadModel(file);
  let result;
  try {
    result = compile(model, {
      hw,
      requant,
      cpuFallback: argv['cpu-fallback'],
      fixedDims: parseFixDims(argv['fix-dims']),
    });
  } catch (e) {
    if (e instanceof NpuError) e.at({ file });
    throw e;
  }
  const t = result.estimate.totals;
  process.stdout.write(
    `${file}: ${result.placement.npu.length} node(s) on the NPU, ${result.placement.host.length} on the host; ` +
      `${result.graph.ops.length} NPU op(s), ${(t.macs / 1e6).toFixed(2)} MMACs, estimated ${t.cycles} cycles ` +
      `(${t.microseconds.toFixed(2)} us), MAC utilisation ${(100 * t.macUtilisation).toFixed(1)}% on ${hw.name}\n`,
  );
  if (argv.report !== undefined) {
    writeFileAtomic(argv.report, `${JSON.stringify(compileReport(result), null, 2)}\n`);
    process.stdout.write(`report written to ${argv.report}\n`);
  }
  if (argv.out === undefined && argv['emit-asm'] === undefined) return EXIT.ok;
  const program = result.program;
  if (program === undefined)
    throw new NpuError(
      'unsupported',
      [
        'programs with host-fallback nodes cannot be emitted yet; without -o / --emit-asm, --cpu-fallback gives the ' +
          'partition and the estimate',
      ],
      { file },
    );
  if (argv.out !== undefined) {
    writeFileAtomic(argv.out, writeProgram(program));
    process.stdout.write(`wrote ${argv.out} (${program.code.length} instructions)\n`);
  }
  if (argv['emit-asm'] !== undefined) {
    writeFileAtomic(argv['emit-asm'], `${program.code.map((w) => disassemble(w)).join('\n')}\n`);
    process.stdout.write(`wrote ${argv['emit-asm']}\n`);
  }
  return EXIT.ok;
}

runCli(main);
