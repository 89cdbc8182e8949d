// Model I/O: decode/encode round trips (conformance models, every attribute type), errors, atomic save, size.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../onnx/model-io.js';
import { onnx } from '../../onnx/proto.js';
import { ModelBuilder } from '../helpers/model-builder.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/onnx-node');
const fixtureDirs = readdirSync(FIXTURES).filter((d) => d.startsWith('test_'));
const tmp = mkdtempSync(join(tmpdir(), 'model-io-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function errorId(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e.id;
    throw e;
  }
  return 'no error';
}

function everyAttrModel(): Model {
  const inner = new ModelBuilder({ name: 'body' })
    .input('a', 'float32', [2])
    .node('Relu', ['a'], ['b'])
    .output('b', 'float32', [2])
    .build().graph;
  const m = new ModelBuilder()
    .input('x', 'float32', ['batch', 3, '?'])
    .initializer('w', tensor('int64', [2], [-(2n ** 62n), 5n]))
    .initializer('h', tensor('float16', [3], [0.5, -2, 65504]))
    .node('Custom', ['x', '', 'w'], ['y'], {}, 'com.example')
    .output('y', 'float32')
    .build();
  m.graph.nodes[0].attrs = {
    i: { type: 'int', value: -7 },
    f: { type: 'float', value: 0.25 },
    s: { type: 'string', value: 'héllo' },
    t: { type: 'tensor', value: tensor('int8', [2, 2], [1, -2, 3, -128]) },
    g: { type: 'graph', value: inner },
    is: { type: 'ints', value: [1, -2, 3e9] },
    fs: { type: 'floats', value: [1.5, -0.125] },
    ss: { type: 'strings', value: ['a', '', 'ü'] },
  };
  m.graph.valueInfo.set('mid', { name: 'mid', dtype: 'bool', shape: [1, 'n'] });
  return m;
}

describe('decodeModel / encodeModel', () => {
  test.each(fixtureDirs)('%s round-trips', (dir) => {
    const m1 = loadModel(join(FIXTURES, dir, 'model.onnx'));
    expect(m1.graph.nodes.length).toBeGreaterThan(0);
    const m2 = decodeModel(encodeModel(m1));
    m1.file = undefined;
    delete m1.file;
    expect(m2).toEqual(m1);
  });

  test('every attribute type, symbolic dims, int64/float16 initializers round-trip', () => {
    const m = everyAttrModel();
    const back = decodeModel(encodeModel(m));
    expect(back).toEqual(m);
    expect(back.graph.nodes[0].domain).toBe('com.example');
  });

  test('ai.onnx domain is normalised and initializer-inputs are dropped', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 3,
      opsetImport: [{ domain: 'ai.onnx', version: 9 }],
      graph: {
        node: [{ opType: 'Add', domain: 'ai.onnx', input: ['x', 'c'], output: ['y'] }],
        input: [{ name: 'x' }, { name: 'c' }],
        output: [{ name: 'y' }],
        initializer: [{ name: 'c', dims: [1], dataType: 1, floatData: [2] }],
      },
    }).finish();
    const m = decodeModel(bytes);
    expect(m.opsetImports).toEqual([{ domain: '', version: 9 }]);
    expect(m.graph.nodes[0].domain).toBe('');
    expect(m.graph.nodes[0].name).not.toBe('');
    expect(m.graph.inputs.map((i) => i.name)).toEqual(['x']);
    expect(Array.from(m.graph.initializers.get('c')!.data as Float32Array)).toEqual([2]);
  });
});

describe('errors', () => {
  const good = readFileSync(join(FIXTURES, 'test_add/model.onnx'));

  test('missing file, directory, garbage, truncated, no graph', () => {
    expect(errorId(() => loadModel(join(tmp, 'nope.onnx')))).toBe('fileNotFound');
    expect(errorId(() => loadModel(tmp))).toBe('fileUnreadable');
    const garbage = join(tmp, 'garbage.onnx');
    writeFileSync(garbage, 'this is not a protobuf at all, just some text\n');
    expect(errorId(() => loadModel(garbage))).toBe('notOnnx');
    for (const cut of [1, 10, good.length >> 1, good.length - 3]) {
      expect(errorId(() => decodeModel(good.subarray(0, cut), 'cut.onnx'))).toBe('notOnnx');
    }
    expect(errorId(() => decodeModel(onnx.ModelProto.encode({ irVersion: 8 }).finish()))).toBe(
      'notOnnx',
    );
  });

  test('error carries the file name', () => {
    try {
      decodeModel(new Uint8Array([0xff, 0xff, 0xff]), 'm.onnx');
      expect.unreachable();
    } catch (e) {
      expect((e as NpuError).format()).toContain('m.onnx');
    }
  });

  test('too large', () => {
    const big = join(tmp, 'big.onnx');
    writeFileSync(big, '');
    // a sparse file (a hole costs no disk space): the size check must happen before reading
    truncateSync(big, 200 * 1024 * 1024 + 1);
    expect(statSync(big).size).toBe(200 * 1024 * 1024 + 1);
    expect(errorId(() => loadModel(big))).toBe('modelTooLarge');
  });
});

describe('saveModel', () => {
  test('writes atomically and loads back', () => {
    const m = everyAttrModel();
    const dir = join(tmp, 'save');
    mkdirSync(dir);
    const p = join(dir, 'm.onnx');
    saveModel(m, p);
    expect(readdirSync(dir)).toEqual(['m.onnx']);
    const back = loadModel(p);
    expect(back.file).toBe(p);
    delete back.file;
    expect(back).toEqual(m);
  });

  test('failure leaves no file behind', () => {
    const p = join(tmp, 'no-such-dir', 'm.onnx');
    expect(
      errorId(() => {
        saveModel(everyAttrModel(), p);
      }),
    ).toBe('writeFailed');
    expect(existsSync(p)).toBe(false);
  });
});

test('loads a ~150 MB model', { timeout: 60_000 }, (ctx) => {
  const t0 = Date.now();
  const n = (150 * 1024 * 1024) / 4;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i += 4099) data[i] = i;
  const m = new ModelBuilder()
    .input('x', 'float32', [n])
    .initializer('w', { dtype: 'float32', shape: [n], data })
    .node('Add', ['x', 'w'], ['y'])
    .output('y', 'float32', [n])
    .build();
  const p = join(tmp, 'big150.onnx');
  saveModel(m, p);
  if (Date.now() - t0 > 20_000) ctx.skip();
  const back = loadModel(p);
  rmSync(p);
  const w = back.graph.initializers.get('w')!;
  expect(w.shape).toEqual([n]);
  expect(w.data[4099 * 1000]).toBe(4099 * 1000);
  expect(w.data[n - 1]).toBe(data[n - 1]);
});
