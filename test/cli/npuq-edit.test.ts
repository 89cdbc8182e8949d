// npuq --input-type / --output-type / --plots from the command line: a uint8-in, uint8-out digits CNN that the
// reference runs on integer images, plots of the most sensitive layers, and one-line errors.

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { tensor, toNumbers } from '../../common/tensor.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import type { QuantizeReport } from '../../quantizer/quantize-model.js';
import { type CliResult, ROOT, runCli } from '../helpers/cli.js';

const DIR = join(ROOT, 'test', 'fixtures', 'models');
const dir = mkdtempSync(join(tmpdir(), 'npuq-edit-'));

const run = (args: string[]): CliResult => runCli('quantizer/cli.ts', args);

it('--input-type uint8 --output-type uint8 --plots: integer I/O that classifies the test digits, and plots', () => {
  const out = join(dir, 'q.onnx');
  const report = join(dir, 'r.json');
  const plots = join(dir, 'plots');
  const r = run([
    join(DIR, 'digits-cnn.onnx'),
    '-o',
    out,
    '--calib',
    join(DIR, 'digits-calib-x.npy'),
    '--input-type',
    'uint8',
    '--output-type',
    'uint8',
    '--plots',
    plots,
    '--plot-layers',
    '2',
    '--report',
    report,
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const rep = JSON.parse(readFileSync(report, 'utf8')) as QuantizeReport;
  const [ie, oe] = rep.io!;
  expect(r.out).toContain(`input 'input' is uint8: value = (q - ${ie.zeroPoint}) * ${ie.scale}`);
  expect(r.out).toContain(`output 'logits' is uint8: value = (q - ${oe.zeroPoint}) * ${oe.scale}`);
  expect(r.out).toContain(`plots of 2 layers written to ${join(plots, 'index.html')}`);

  const q = loadModel(out);
  expect(q.graph.inputs[0].dtype).toBe('uint8');
  expect(q.graph.outputs[0].dtype).toBe('uint8');
  // the test images as uint8 codes with the reported parameters; argmax of the uint8 logits
  const x = readNpy(join(DIR, 'digits-test-x.npy'));
  const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));
  const codes = Array.from(x.data as Float32Array, (v) =>
    Math.min(255, Math.max(0, Math.round(v / ie.scale) + ie.zeroPoint)),
  );
  const logits = runModel(q, { input: tensor('uint8', x.shape, codes) }).logits;
  expect(logits.dtype).toBe('uint8');
  let ok = 0;
  labels.forEach((label, i) => {
    const row = Array.from(logits.data.slice(i * 10, i * 10 + 10) as Uint8Array);
    if (row.indexOf(Math.max(...row)) === label) ok++;
  });
  expect(ok / labels.length).toBeGreaterThan(0.97);

  const files = readdirSync(plots).sort();
  expect(files).toContain('index.html');
  const layers = rep.sensitivity!.layers.slice(0, 2);
  for (const [i, l] of layers.entries()) {
    const prefix = `0${i + 1}-`;
    expect(
      files.some((f) => f.startsWith(prefix) && f.endsWith('-activation.svg')),
      l.node,
    ).toBe(true);
    expect(readFileSync(join(plots, 'index.html'), 'utf8')).toContain(l.node);
  }
  expect(files.every((f) => f === 'index.html' || /^0[12]-.*\.svg$/.test(f))).toBe(true);
});

it('a bad --plot-layers is one line and writes nothing', () => {
  const out = join(dir, 'bad.onnx');
  const r = run([
    join(DIR, 'digits-cnn.onnx'),
    '-o',
    out,
    '--calib',
    join(DIR, 'digits-calib-x.npy'),
    '--plots',
    join(dir, 'bad-plots'),
    '--plot-layers',
    '0',
  ]);
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toContain('--plot-layers');
  expect(existsSync(out)).toBe(false);
  expect(existsSync(join(dir, 'bad-plots'))).toBe(false);
});
