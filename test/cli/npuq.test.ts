// npuq from the command line: quantizes the digits CNN, the result runs in the reference; --dynamic with --calib
// is refused.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import { type CliResult, ROOT, runCli } from '../helpers/cli.js';

const DIR = join(ROOT, 'test', 'fixtures', 'models');
const dir = mkdtempSync(join(tmpdir(), 'npuq-cli-'));

const run = (args: string[]): CliResult => runCli('quantizer/cli.ts', args);

it('quantizes the digits CNN with --method percentile --symmetric and writes a report', () => {
  const out = join(dir, 'q.onnx');
  const report = join(dir, 'r.json');
  const r = run([
    join(DIR, 'digits-cnn.onnx'),
    '-o',
    out,
    '--calib',
    join(DIR, 'digits-calib-x.npy'),
    '--method',
    'percentile',
    '--symmetric',
    '--report',
    report,
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const q = loadModel(out);
  expect(q.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').length).toBeGreaterThan(5);
  const x = readNpy(join(DIR, 'digits-test-x.npy'));
  const labels = readNpy(join(DIR, 'digits-test-y.npy'));
  const logits = Object.values(runModel(q, { input: x }))[0];
  let correct = 0;
  for (let i = 0; i < x.shape[0]; i++) {
    const row = Array.from(logits.data.slice(i * 10, i * 10 + 10) as Float32Array);
    if (row.indexOf(Math.max(...row)) === Number(labels.data[i])) correct++;
  }
  expect(correct / x.shape[0]).toBeGreaterThan(0.97);
  expect((JSON.parse(readFileSync(report, 'utf8')) as { method: string }).method).toBe(
    'percentile',
  );
});

it('--dynamic with --calib is refused in one line and writes nothing', () => {
  const out = join(dir, 'dyn.onnx');
  const r = run([
    join(DIR, 'digits-cnn.onnx'),
    '-o',
    out,
    '--calib',
    join(DIR, 'digits-calib-x.npy'),
    '--dynamic',
  ]);
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toContain('--dynamic');
  expect(existsSync(out)).toBe(false);
});
