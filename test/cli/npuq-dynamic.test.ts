// npuq --dynamic from the command line, its one-line refusals, and what npuc says about a dynamic model.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import { readNpy } from '../../common/npy.js';
import { ROOT, runCli as run } from '../helpers/cli.js';

const DIR = join(ROOT, 'test', 'fixtures', 'models');
const CNN = join(DIR, 'digits-cnn.onnx');
const dir = mkdtempSync(join(tmpdir(), 'npuq-dynamic-'));

describe('npuq --dynamic', () => {
  const out = join(dir, 'cnn.dq.onnx');
  it('writes the dynamic model and its report without calibration data', () => {
    const report = join(dir, 'r.json');
    const r = run('quantizer/cli.ts', [CNN, '-o', out, '--dynamic', '--report', report]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('5 node(s) with int8 weights');
    const q = loadModel(out);
    const ops = q.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(5);
    expect(ops.filter((o) => o === 'ConvInteger')).toHaveLength(4);
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(1);
    expect(ops).not.toContain('QuantizeLinear');
    const x = readNpy(join(DIR, 'digits-test-x.npy'));
    const first: typeof x = {
      ...x,
      shape: [4, 1, 8, 8],
      data: (x.data as Float32Array).slice(0, 256),
    };
    expect(runModel(q, { input: first }).logits.shape).toEqual([4, 10]);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { mode: string; quantized: unknown[] };
    expect(rep.mode).toBe('dynamic');
    expect(rep.quantized).toHaveLength(5);
  });

  const refusals: [string[], RegExp][] = [
    [['--calib', join(DIR, 'digits-calib-x.npy')], /--calib cannot be used with --dynamic/],
    [['--method', 'entropy'], /--method cannot be used with --dynamic/],
    [['--exclude', 'nope'], /cannot exclude 'nope'/],
  ];
  it.each(refusals)('refuses %j with one line, exit 1 and no output file', (extra, msg) => {
    const o = join(dir, `refused-${extra[0].slice(2)}.onnx`);
    const r = run('quantizer/cli.ts', [CNN, '-o', o, '--dynamic', ...extra]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(msg);
    expect(existsSync(o)).toBe(false);
  });

  it('without --dynamic, a missing --calib is one line', () => {
    const r = run('quantizer/cli.ts', [CNN, '-o', join(dir, 'x.onnx')]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('--calib is required');
  });

  it('npuc refuses a dynamic model in one line (NPU5005); --cpu-fallback puts it on the host with reasons', () => {
    if (!existsSync(out)) run('quantizer/cli.ts', [CNN, '-o', out, '--dynamic']);
    const r = run('compiler/cli.ts', [out, '-o', join(dir, 'p.bin'), '--fix-dims', 'batch=1']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('NPU5005');
    expect(r.err).toContain('5 DynamicQuantizeLinear');
    expect(existsSync(join(dir, 'p.bin'))).toBe(false);
    // the dynamic model is refused for what it is, before its symbolic batch dimension is
    const sym = run('compiler/cli.ts', [out, '-o', join(dir, 'p.bin')]);
    expect(sym.code).toBe(1);
    expect(sym.err).toContain('NPU5005');
    const report = join(dir, 'npuc.json');
    const f = run('compiler/cli.ts', [
      out,
      '--cpu-fallback',
      '--fix-dims',
      'batch=1',
      '--report',
      report,
    ]);
    expect(f.code).toBe(0);
    const host = (
      JSON.parse(readFileSync(report, 'utf8')) as {
        placement: { host: { opType: string; reason: string }[] };
      }
    ).placement.host;
    const dql = host.filter((h) => h.opType === 'DynamicQuantizeLinear');
    expect(dql).toHaveLength(5);
    expect(dql[0].reason).toMatch(/run-time min\/max/);
    expect(host.find((h) => h.opType === 'ConvInteger')?.reason).toMatch(/compile-time scales/);
  });
});
