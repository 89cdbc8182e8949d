#!/usr/bin/env node
// npusim: runs a prog.bin bit-exactly and estimates its cycles on the configured NPU.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../common/atomic-write.js';
import { EXIT, parseNamedPaths, runCli } from '../common/cli.js';
import { NpuError } from '../common/diagnostics.js';
import { readNpy, writeNpy } from '../common/npy.js';
import { shapeStr, type Tensor } from '../common/tensor.js';
import type { HwConfig } from '../isa/hw-config.js';
import { formatTensorSummary } from '../reference/summary.js';
import { NpuSession } from '../runtime/session.js';

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
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
    .option('output-dir', { type: 'string', describe: 'where outputs are written as <name>.npy' })
    .option('raw', {
      type: 'boolean',
      default: false,
      describe: 'write raw integer outputs instead of dequantized float32',
    })
    .option('trace', {
      type: 'string',
      describe:
        'write a Chrome/Perfetto trace JSON to this file (no file: print a per-instruction log)',
    })
    .option('stats', { type: 'string', describe: 'write statistics JSON' })
    .option('requant', {
      type: 'string',
      choices: ['float', 'fixed'],
      describe: "requantization mode of the hardware (default: the program's); must match npuc's",
    })
    .option('hw', {
      type: 'string',
      describe:
        'hardware preset name or JSON file (default: the preset the program was compiled for)',
    })
    .option('jobs', {
      alias: 'j',
      type: 'number',
      default: 1,
      describe:
        'worker threads for a batch (a leading input dimension of N x the batch); results are identical',
    })
    .option('pes', {
      type: 'number',
      default: 1,
      describe:
        'split mode: run the batch on this many PEs side by side, sharing DRAM (compile for one PE, e.g. --hw warboy)',
    })
    .option('verbose', { type: 'boolean', default: false, describe: 'stack traces on errors' })
    .demandCommand(1, 'give the program file')
    .strict()
    .help()
    .parse();

  const file = String(argv._[0]);
  const session = NpuSession.load(file, {
    ...(argv.hw !== undefined ? { hw: argv.hw } : {}),
    ...(argv.requant !== undefined ? { requant: argv.requant as HwConfig['requant'] } : {}),
  });
  const program = session.program;
  const inputs: Record<string, Tensor> = {};
  const named = parseNamedPaths(argv.input, '--input');
  if (named.length === 0 && program.inputs.length > 0) {
    throw new NpuError('badArgument', [
      `the program needs inputs: ${program.inputs.map((d) => `${d.name}${shapeStr(d.shape)}`).join(', ')} (give --input name=file.npy)`,
    ]);
  }
  for (const [name, path] of named) inputs[name] = readNpy(path);

  const traceWanted = argv.trace !== undefined;
  const jobs = argv.jobs;
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new NpuError('badArgument', [`--jobs expects a positive integer, got ${jobs}`]);
  const pes = argv.pes;
  if (!Number.isInteger(pes) || pes < 1)
    throw new NpuError('badArgument', [`--pes expects a positive integer, got ${pes}`]);
  if (pes > 1 && jobs > 1)
    throw new NpuError('badArgument', [
      '--pes and --jobs cannot be combined (split mode runs on one thread)',
    ]);
  const r =
    pes > 1
      ? session.run(inputs, { raw: argv.raw, trace: traceWanted, pes })
      : jobs > 1
        ? await session
            .runParallel(inputs, { workers: jobs, raw: argv.raw, trace: traceWanted })
            .finally(() => session.close())
        : session.run(inputs, { raw: argv.raw, trace: traceWanted });

  for (const [name, t] of Object.entries(r.outputs)) {
    process.stdout.write(`${name}: ${t.dtype}${shapeStr(t.shape)} ${formatTensorSummary(t)}\n`);
  }
  const s = r.stats;
  process.stdout.write(
    `cycles ${s.cycles} (${s.latencyUs.toFixed(3)} us at ${s.clockMhz} MHz, ${s.inferences} inference(s)), ` +
      `MAC utilisation ${(100 * s.mac.utilization).toFixed(2)}%, DRAM ${s.dram.bytesRead} B read / ${s.dram.bytesWritten} B written\n`,
  );
  if (s.split !== undefined)
    process.stdout.write(
      `split mode: ${s.split.pes} PEs, ${s.split.inferencesPerSecond.toFixed(0)} inferences/s, ` +
        `${s.split.meanLatencyUs.toFixed(3)} us per inference\n`,
    );
  process.stdout.write(
    `energy ${s.energy.perInferenceUj.toFixed(3)} uJ per inference (MAC ${s.energy.macUj.toFixed(3)}, SRAM ${s.energy.sramUj.toFixed(3)}, ` +
      `DRAM ${s.energy.dramUj.toFixed(3)}, vector ${s.energy.vectorUj.toFixed(3)}, static ${s.energy.staticUj.toFixed(3)} uJ in all), ` +
      `${s.energy.topsPerWatt.toFixed(3)} TOPS/W\n`,
  );
  const dir = argv['output-dir'];
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    for (const [name, t] of Object.entries(r.outputs)) {
      const out = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
      writeNpy(out, t);
      process.stdout.write(`wrote ${out}\n`);
    }
  }
  if (argv.stats !== undefined) {
    writeFileAtomic(argv.stats, `${JSON.stringify(s, null, 2)}\n`);
    process.stdout.write(`stats written to ${argv.stats}\n`);
  }
  if (r.trace !== undefined) {
    if (argv.trace === '') process.stdout.write(r.trace.text);
    else {
      writeFileAtomic(argv.trace!, JSON.stringify(r.trace.chrome));
      process.stdout.write(`trace written to ${argv.trace} (open it in https://ui.perfetto.dev)\n`);
    }
  }
  return EXIT.ok;
}

// `npusim sweep model.onnx --set ...` is the hardware design-space sweep (simulator/sweep/cli.ts)
if (process.argv[2] === 'sweep') await import('./sweep/cli.js');
else runCli(main);
