// The CLIs answer --help, and bad input gets one catalogued line and exit code 1, never a stack trace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { writeNpy } from '../../common/npy.js';
import { emptyGraph, type Model } from '../../onnx/graph.js';
import { encodeModel } from '../../onnx/model-io.js';

const ROOT = join(import.meta.dirname, '..', '..');

function run(script: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function expectOneLineError(r: { code: number | null; err: string }, ...fragments: string[]): void {
  expect(r.code).toBe(1);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error NPU\d{4}: /);
  for (const f of fragments) expect(lines[0]).toContain(f);
  expect(r.err).not.toMatch(/\n\s+at /);
}

/** y = Relu(x) on float32 [1,4], or with a custom node list. */
function model(nodes: Model['graph']['nodes'], extraInit?: Model['graph']['initializers']): Model {
  const g = emptyGraph('t');
  g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 4] });
  g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 4] });
  g.nodes.push(...nodes);
  if (extraInit) for (const [k, v] of extraInit) g.initializers.set(k, v);
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'test',
    producerVersion: '',
    graph: g,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'npu-cli-'));

describe('CLIs', () => {
  it.each([
    ['compiler/cli.ts', 'npuc'],
    ['simulator/cli.ts', 'npusim'],
    ['quantizer/cli.ts', 'npuq'],
    ['reference/cli.ts', 'npuref'],
  ])('%s answers --help', (script, name) => {
    const r = run(script, ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(name);
    expect(r.out).toContain('--help');
  });

  it('npuref runs a model and writes its outputs', () => {
    const m = join(dir, 'relu.onnx');
    writeFileSync(
      m,
      encodeModel(
        model([
          { name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} },
        ]),
      ),
    );
    const x = join(dir, 'x.npy');
    writeNpy(x, tensor('float32', [1, 4], [-1, 2, -3, 4]));
    const r = run('reference/cli.ts', [m, '--input', `x=${x}`, '--output-dir', join(dir, 'out')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('y: float32[1,4] [0, 2, 0, 4]');
    expect(readFileSync(join(dir, 'out', 'y.npy')).length).toBeGreaterThan(0);
  });

  it('a missing file is one line', () => {
    expectOneLineError(
      run('reference/cli.ts', [join(dir, 'nope.onnx'), '--input', 'x=a.npy']),
      'nope.onnx',
    );
  });

  it('a truncated ONNX file is one line naming the file', () => {
    const good = encodeModel(
      model([{ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }]),
    );
    const bad = join(dir, 'truncated.onnx');
    writeFileSync(bad, good.subarray(0, Math.floor(good.length / 2)));
    expectOneLineError(run('reference/cli.ts', [bad, '--input', 'x=a.npy']), 'truncated.onnx');
  });

  it('a non-ONNX file is one line', () => {
    const bad = join(dir, 'text.onnx');
    writeFileSync(bad, 'this is not a protobuf, just some text\n'.repeat(10));
    expectOneLineError(run('reference/cli.ts', [bad, '--input', 'x=a.npy']), 'text.onnx');
  });

  it('an unknown op names the node', () => {
    const m = join(dir, 'unknown.onnx');
    writeFileSync(
      m,
      encodeModel(
        model([
          {
            name: 'weird_node',
            opType: 'FrobnicateV9',
            domain: '',
            inputs: ['x'],
            outputs: ['y'],
            attrs: {},
          },
        ]),
      ),
    );
    const x = join(dir, 'x2.npy');
    writeNpy(x, tensor('float32', [1, 4], [1, 2, 3, 4]));
    expectOneLineError(
      run('reference/cli.ts', [m, '--input', `x=${x}`]),
      'weird_node',
      'FrobnicateV9',
    );
  });

  it('a missing initializer names the node and the value', () => {
    const m = join(dir, 'missing.onnx');
    writeFileSync(
      m,
      encodeModel(
        model([
          {
            name: 'adder',
            opType: 'Add',
            domain: '',
            inputs: ['x', 'bias_not_there'],
            outputs: ['y'],
            attrs: {},
          },
        ]),
      ),
    );
    const x = join(dir, 'x3.npy');
    writeNpy(x, tensor('float32', [1, 4], [1, 2, 3, 4]));
    expectOneLineError(
      run('reference/cli.ts', [m, '--input', `x=${x}`]),
      'adder',
      'bias_not_there',
    );
  });

  it('a wrong input dtype and a wrong input shape are one line each', () => {
    const m = join(dir, 'relu2.onnx');
    writeFileSync(
      m,
      encodeModel(
        model([
          { name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} },
        ]),
      ),
    );
    const xi = join(dir, 'xi.npy');
    writeNpy(xi, tensor('int8', [1, 4], [1, 2, 3, 4]));
    expectOneLineError(run('reference/cli.ts', [m, '--input', `x=${xi}`]), 'int8', 'float32');
    const xs = join(dir, 'xs.npy');
    writeNpy(xs, tensor('float32', [2, 2], [1, 2, 3, 4]));
    expectOneLineError(run('reference/cli.ts', [m, '--input', `x=${xs}`]), '[2,2]');
  });

  it('an internal shape mismatch names the node', () => {
    const m = join(dir, 'mm.onnx');
    const w = tensor('float32', [3, 2], [1, 2, 3, 4, 5, 6]);
    writeFileSync(
      m,
      encodeModel(
        model(
          [
            {
              name: 'matmul_bad',
              opType: 'MatMul',
              domain: '',
              inputs: ['x', 'w'],
              outputs: ['y'],
              attrs: {},
            },
          ],
          new Map([['w', w]]),
        ),
      ),
    );
    const x = join(dir, 'x4.npy');
    writeNpy(x, tensor('float32', [1, 4], [1, 2, 3, 4]));
    expectOneLineError(run('reference/cli.ts', [m, '--input', `x=${x}`]), 'matmul_bad');
  });

  it('--verbose adds a stack trace', () => {
    const r = run('reference/cli.ts', [join(dir, 'nope.onnx'), '--input', 'x=a.npy', '--verbose']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\n\s+at /);
  });
});
