// NpuSession.runParallel: a batch split over worker threads gives exactly run()'s outputs, stats, trace and errors.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { writeProgram, type Program } from '../../isa/program-file.js';
import { loadModel } from '../../onnx/model-io.js';
import { chunkSizes } from '../../runtime/parallel.js';
import { NpuSession } from '../../runtime/session.js';
import type { SimResult } from '../../simulator/simulate.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MODELS = join(ROOT, 'test', 'fixtures', 'models');
const hw = loadHwConfig('warboy-2pe');

let program: Program;
let session: NpuSession;
let all: Tensor;

/** The first n test images as one [n, 1, 8, 8] batch (float32, quantized at the boundary by the runtime). */
const images = (n: number, from = 0): Tensor => {
  const per = all.data.length / all.shape[0];
  return {
    dtype: 'float32',
    shape: [n, ...all.shape.slice(1)],
    data: all.data.slice(from * per, (from + n) * per),
  };
};

const bytesOf = (t: Tensor): Buffer =>
  Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Bit-for-bit outputs, deep-equal stats with the same key order, equal traces. */
function expectSame(got: SimResult, want: SimResult): void {
  expect(Object.keys(got.outputs)).toEqual(Object.keys(want.outputs));
  for (const [name, t] of Object.entries(want.outputs)) {
    const g = got.outputs[name];
    expect([g.dtype, g.shape]).toEqual([t.dtype, t.shape]);
    expect(bytesOf(g).equals(bytesOf(t))).toBe(true);
  }
  expect(got.stats).toStrictEqual(want.stats);
  expect(JSON.stringify(got.stats)).toBe(JSON.stringify(want.stats));
  expect(got.trace === undefined).toBe(want.trace === undefined);
  if (want.trace !== undefined) {
    expect(got.trace!.records).toStrictEqual(want.trace.records);
    expect(got.trace!.chrome).toStrictEqual(want.trace.chrome);
    expect(got.trace!.text).toBe(want.trace.text);
  }
}

const errorOf = async (f: () => unknown): Promise<NpuError> => {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(NpuError);
    return e as NpuError;
  }
  throw new Error('expected an error');
};

beforeAll(() => {
  const model = loadModel(join(MODELS, 'digits-cnn.qdq.onnx'));
  program = compile(model, {
    hw,
    requant: hw.requant,
    cpuFallback: false,
    fixedDims: { batch: 1 },
  }).program!;
  session = new NpuSession(program, { hw });
  all = readNpy(join(MODELS, 'digits-test-x.npy'));
});

afterAll(async () => {
  await session.close();
});

describe('NpuSession.runParallel', () => {
  it('8 images on 2 workers equal run(): outputs bit for bit, stats and trace', async () => {
    const x = { [session.inputs[0].name]: images(8) };
    const got = await session.runParallel(x, { workers: 2, trace: true });
    expect(session.workerThreads).toBe(2);
    expect(got.stats.inferences).toBe(8);
    expectSame(got, session.run(x, { trace: true }));
    // the workers stay loaded: a second batch (raw, no trace) reuses them
    const y = { [session.inputs[0].name]: images(8, 100) };
    expectSame(
      await session.runParallel(y, { workers: 2, raw: true }),
      session.run(y, { raw: true }),
    );
    expect(session.workerThreads).toBe(2);
  });

  it('uneven chunks (7 images on 3 workers) and fewer images than workers', async () => {
    expect(chunkSizes(7, 3)).toEqual([3, 2, 2]);
    const x7 = { [session.inputs[0].name]: images(7, 20) };
    expectSame(
      await session.runParallel(x7, { workers: 3, trace: true }),
      session.run(x7, { trace: true }),
    );
    const x3 = { [session.inputs[0].name]: images(3, 40) };
    expectSame(await session.runParallel(x3, { workers: 8 }), session.run(x3));
    expect(session.workerThreads).toBe(3);
  });

  it('N = 1, and workers: 1, run on this thread', async () => {
    const x1 = { [session.inputs[0].name]: images(1, 5) };
    expectSame(await session.runParallel(x1, { trace: true }), session.run(x1, { trace: true }));
    const x4 = { [session.inputs[0].name]: images(4, 9) };
    expectSame(await session.runParallel(x4, { workers: 1 }), session.run(x4));
  });

  it('a session loaded from prog.bin bytes runs in parallel too', async () => {
    const s = NpuSession.load(writeProgram(program), { hw });
    try {
      const x = { [s.inputs[0].name]: images(4, 60) };
      expectSame(await s.runParallel(x, { workers: 2 }), session.run(x));
    } finally {
      await s.close();
    }
    expect(s.workerThreads).toBe(0);
  });

  it('bad inputs give the same one-line error as run()', async () => {
    const name = session.inputs[0].name;
    const x = images(8);
    const cases: Record<string, Tensor>[] = [
      { [name]: { ...x, shape: [8, 1, 8, 7] } }, // shape: found before splitting
      { [name]: x, extra: x }, // unknown input
      {}, // missing input
      // dtype: found by the workers, reported as the first failing inference's error
      { [name]: { dtype: 'int32', shape: x.shape, data: Int32Array.from(x.data as Float32Array) } },
    ];
    for (const bad of cases) {
      const want = await errorOf(() => session.run(bad));
      const got = await errorOf(() => session.runParallel(bad, { workers: 2 }));
      expect([got.id, got.format()]).toEqual([want.id, want.format()]);
    }
    expect((await errorOf(() => session.runParallel({ [name]: x }, { workers: 0 }))).id).toBe(
      'badArgument',
    );
  });

  it('a script that never calls close() still exits (idle workers are unref-ed)', () => {
    const script = [
      `import { NpuSession } from ${JSON.stringify(join(ROOT, 'runtime', 'session.ts'))};`,
      `import { readFileSync } from 'node:fs';`,
      `const s = NpuSession.load(new Uint8Array(readFileSync(process.argv[1])));`,
      `const d = s.inputs[0];`,
      `const n = 2 * d.shape.reduce((a, b) => a * b, 1);`,
      `const x = { dtype: 'float32', shape: [2 * d.shape[0], ...d.shape.slice(1)], data: new Float32Array(n) };`,
      `const r = await s.runParallel({ [d.name]: x }, { workers: 2 });`,
      `console.log(r.stats.inferences, s.workerThreads);`,
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'npu-parallel-'));
    const file = join(dir, 'prog.bin');
    writeFileSync(file, writeProgram(program));
    try {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script, file],
        { cwd: ROOT, encoding: 'utf8', timeout: 15_000 },
      );
      expect(out.trim()).toBe('2 2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
