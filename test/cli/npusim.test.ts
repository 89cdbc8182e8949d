// npusim from the command line: the documented example program runs, writes outputs, stats and a trace,
// and broken or mismatched programs get one catalogued line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../common/npy.js';
import { toNumbers } from '../../common/tensor.js';
import { assembleWords } from '../../isa/asm.js';
import { EXAMPLE_ASM } from '../../isa/example.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { programFor, writeProgram } from '../../isa/program-file.js';
import { floatMultipliers } from '../../reference/quant/requant.js';
import { simulate } from '../../simulator/simulate.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { bytesOf } from '../simulator/program-builder.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'npusim-cli-'));

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'simulator/cli.ts'), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hw = loadHwConfig('edge');
const w = randomIntTensor('int8', [8, 8, 3, 3], 12);
const bias = randomIntTensor('int32', [8], 13, -2000, 2000);
const image = new Uint8Array(640);
image.set(bytesOf(w), 0);
image.set(bytesOf(bias), 0x240);
const ws = Array.from({ length: 8 }, (_, k) => Math.fround(0.002 * (k + 1)));
image.set(bytesOf(floatMultipliers({ x: Math.fround(0.05), w: ws, y: Math.fround(0.4) })), 0x260);
const desc = { shape: [1, 8, 16, 16], dtype: 'int8', layout: 'NCHW' } as const;
const program = programFor(hw, {
  code: assembleWords(EXAMPLE_ASM),
  dram: [{ addr: 0, data: image }],
  inputs: [{ ...desc, name: 'x', scale: 0.05, zeroPoint: -3, dramAddr: 0x1000 }],
  outputs: [{ ...desc, name: 'y', scale: 0.4, zeroPoint: 5, dramAddr: 0x2000 }],
  debug: [{ pc: 5, node: 'conv_0' }],
});
const prog = join(dir, 'prog.bin');
writeFileSync(prog, writeProgram(program));
const x = randomIntTensor('int8', [1, 8, 16, 16], 11);
const xFile = join(dir, 'x.npy');
writeNpy(xFile, x);

describe('npusim CLI', () => {
  it('runs the example program: raw outputs equal the simulate() API, stats and a Perfetto trace are written', () => {
    const trace = join(dir, 'trace.json');
    const stats = join(dir, 'stats.json');
    const r = run([
      prog,
      '--hw',
      'edge',
      '--input',
      `x=${xFile}`,
      '--raw',
      '--output-dir',
      join(dir, 'out'),
      '--trace',
      trace,
      '--stats',
      stats,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cycles \d+/);
    const api = simulate(program, { x }, { hw, raw: true });
    expect(toNumbers(readNpy(join(dir, 'out', 'y.npy')))).toEqual(toNumbers(api.outputs.y));
    expect((JSON.parse(readFileSync(stats, 'utf8')) as { cycles: number }).cycles).toBe(
      api.stats.cycles,
    );
    const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: unknown })
      .traceEvents as {
      name: string;
      ph: string;
    }[];
    expect(events.some((e) => e.name === 'conv_0' && e.ph === 'X')).toBe(true);
  });

  it('--trace without a file prints the per-instruction log', () => {
    const r = run([prog, '--hw', 'edge', '--input', `x=${xFile}`, '--trace']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('conv');
    expect(r.out).toContain('conv_0');
  });

  it('a program compiled for another hardware config is one line saying which', () => {
    const r = run([prog, '--hw', 'warboy', '--input', `x=${xFile}`]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('edge');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a truncated prog.bin is one line naming the file', () => {
    const bad = join(dir, 'cut.bin');
    writeFileSync(bad, readFileSync(prog).subarray(0, 100));
    const r = run([bad, '--hw', 'edge', '--input', `x=${xFile}`]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('cut.bin');
  });
});

describe('npusim --pes (split mode)', () => {
  it('runs a batch on 2 PEs: the same outputs, a split line with throughput; bad values are one line', () => {
    const x4 = randomIntTensor('int8', [4, 8, 16, 16], 21);
    const x4File = join(dir, 'x4.npy');
    writeNpy(x4File, x4);
    const one = run([prog, '--input', `x=${x4File}`, '--raw', '--output-dir', join(dir, 'one')]);
    const two = run([
      prog,
      '--input',
      `x=${x4File}`,
      '--raw',
      '--pes',
      '2',
      '--output-dir',
      join(dir, 'two'),
    ]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.out).toMatch(/split mode: 2 PEs, \d+ inferences\/s/);
    expect(toNumbers(readNpy(join(dir, 'two', 'y.npy')))).toEqual(
      toNumbers(readNpy(join(dir, 'one', 'y.npy'))),
    );
    const bad = run([prog, '--input', `x=${x4File}`, '--pes', '0']);
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('--pes expects a positive integer');
  });
});
