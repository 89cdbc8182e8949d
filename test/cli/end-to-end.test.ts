// The thin end-to-end path through the three command-line tools: a quantized conv model → npuc → prog.bin →
// npusim, whose outputs must equal npuref's (the reference interpreter) bit for bit, in both requant modes.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../common/npy.js';
import { toNumbers } from '../../common/tensor.js';
import { encodeModel } from '../../onnx/model-io.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { convModel } from '../compiler/compile-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'npu-e2e-'));

function run(script: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const model = join(dir, 'conv.onnx');
writeFileSync(model, encodeModel(convModel(4, 8, 6, 6).output('y', 'int8').build()));
const x = join(dir, 'x.npy');
writeNpy(x, randomIntTensor('int8', [1, 4, 6, 6], 7));

describe.each(['float', 'fixed'])('QLinearConv 3x3, requant %s', (mode) => {
  it('npuc → npusim equals npuref bit for bit, and npuc writes a report and assembly', () => {
    const prog = join(dir, `prog-${mode}.bin`);
    const asm = join(dir, `prog-${mode}.s`);
    const report = join(dir, `report-${mode}.json`);
    const c = run('compiler/cli.ts', [
      model,
      '-o',
      prog,
      '--hw',
      'edge',
      '--requant',
      mode,
      '--emit-asm',
      asm,
      '--report',
      report,
    ]);
    expect(c.err).toBe('');
    expect(c.code).toBe(0);
    expect(readFileSync(asm, 'utf8')).toMatch(/^conv /m);
    expect(
      (JSON.parse(readFileSync(report, 'utf8')) as { layers: { op: string }[] }).layers[0].op,
    ).toBe('conv');

    const simOut = join(dir, `sim-${mode}`);
    const s = run('simulator/cli.ts', [
      prog,
      '--hw',
      'edge',
      '--requant',
      mode,
      '--input',
      `x=${x}`,
      '--raw',
      '--output-dir',
      simOut,
    ]);
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/cycles \d+/);

    const refOut = join(dir, `ref-${mode}`);
    const r = run('reference/cli.ts', [
      model,
      '--mode',
      mode,
      '--input',
      `x=${x}`,
      '--output-dir',
      refOut,
    ]);
    expect(r.code).toBe(0);
    const ours = readNpy(join(simOut, 'y.npy'));
    const ref = readNpy(join(refOut, 'y.npy'));
    expect(ours.dtype).toBe(ref.dtype);
    expect(toNumbers(ours)).toEqual(toNumbers(ref));
  });
});

it('npuc compiles the same model to the same bytes twice', () => {
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  expect(run('compiler/cli.ts', [model, '-o', a, '--hw', 'edge']).code).toBe(0);
  expect(run('compiler/cli.ts', [model, '-o', b, '--hw', 'edge']).code).toBe(0);
  expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
});

it('a program compiled with --requant fixed is refused by npusim without it', () => {
  const prog = join(dir, 'prog-fixed.bin');
  expect(
    run('compiler/cli.ts', [model, '-o', prog, '--hw', 'edge', '--requant', 'fixed']).code,
  ).toBe(0);
  const s = run('simulator/cli.ts', [prog, '--hw', 'edge', '--input', `x=${x}`]);
  expect(s.code).toBe(1);
  expect(s.err.trim().split('\n')).toHaveLength(1);
});
