// .npy I/O: round trips over dtypes and shapes, hand-built headers per the NPY spec, errors.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { DType, Tensor } from '../../common/tensor.js';
import { allocData, sizeOf, tensor } from '../../common/tensor.js';
import { formatNpy, parseNpy, readNpy, writeNpy } from '../../common/npy.js';

const tmp = mkdtempSync(join(tmpdir(), 'npy-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const DTYPES: DType[] = [
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
  'bool',
  'float16',
];

function errorId(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e.id;
    throw e;
  }
  return 'no error';
}

const valueArb = (dtype: DType): fc.Arbitrary<number | bigint> => {
  switch (dtype) {
    case 'float32':
      return fc.float({ noNaN: true });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'float16':
      // values exactly representable in half: k * 2^e with 11-bit k
      return fc
        .tuple(fc.integer({ min: -2047, max: 2047 }), fc.integer({ min: -24, max: 4 }))
        .map(([k, e]) => k * 2 ** e);
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'uint8':
      return fc.integer({ min: 0, max: 255 });
    case 'bool':
      return fc.integer({ min: 0, max: 1 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
};

const tensorArb: fc.Arbitrary<Tensor> = fc
  .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }))
  .chain(([dtype, shape]) =>
    fc
      .array(valueArb(dtype), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
      .map((vals) => {
        const data = allocData(dtype, vals.length);
        vals.forEach((v, i) => ((data as unknown as (number | bigint)[])[i] = v));
        return { dtype, shape, data };
      }),
  );

describe('round trip', () => {
  test('formatNpy -> parseNpy is the identity', () => {
    fc.assert(
      fc.property(tensorArb, (t) => {
        const bytes = formatNpy(t);
        // NPY spec: total header length is a multiple of 64 and the header ends with '\n'
        const hlen = bytes[8] | (bytes[9] << 8);
        expect((10 + hlen) % 64).toBe(0);
        expect(bytes[10 + hlen - 1]).toBe(0x0a);
        expect(parseNpy(bytes)).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  test('writeNpy/readNpy through a file (atomic: no temp left)', () => {
    const t = tensor('int32', [2, 3], [1, -2, 3, -4, 5, 2147483647]);
    const p = join(tmp, 'a.npy');
    writeNpy(p, t);
    expect(readdirSync(tmp)).toEqual(['a.npy']);
    expect(readNpy(p)).toEqual(t);
  });
});

// Headers built by hand, byte for byte what numpy.save writes (format.py: magic, version, LE length, dict, padding).
function npyBytes(header: string, data: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const padded =
    header.padEnd(Math.ceil((pre + header.length + 1) / 64) * 64 - pre - 1, ' ') + '\n';
  const out = new Uint8Array(pre + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, padded.length, true);
  else dv.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), pre);
  out.set(data, pre + padded.length);
  return out;
}

describe('numpy compatibility', () => {
  test('numpy.save of a (2,3) float32 array is byte-identical to formatNpy', () => {
    const vals = [0, 1.5, -2, 3.25, 1e-8, -1e8];
    const data = new Uint8Array(new Float32Array(vals).buffer);
    const expected = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data);
    // numpy pads to 64 bytes total before the data: 10 + 118 = 128
    expect(expected.length).toBe(128 + 24);
    expect(formatNpy(tensor('float32', [2, 3], vals))).toEqual(expected);
  });

  test('1-d, 0-d and empty shapes are written as numpy does', () => {
    const one = formatNpy(tensor('int64', [3], [1n, -1n, 2n ** 40n]));
    expect(new TextDecoder().decode(one.subarray(10, 70))).toContain("'shape': (3,), }");
    const zero = formatNpy(tensor('uint8', [], [7]));
    expect(new TextDecoder().decode(zero.subarray(10, 70))).toContain(
      "'descr': '|u1', 'fortran_order': False, 'shape': (), }",
    );
    expect(parseNpy(zero)).toEqual(tensor('uint8', [], [7]));
    expect(parseNpy(formatNpy(tensor('int8', [0, 3], [])))).toEqual(tensor('int8', [0, 3], []));
  });

  test('version 2.0 and 3.0 headers, "<i1" and "|b1" descrs', () => {
    const d = new Uint8Array([1, 0, 5, 0]);
    expect(
      parseNpy(npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", d, 2)),
    ).toEqual(tensor('bool', [2, 2], [1, 0, 1, 0]));
    expect(
      parseNpy(npyBytes("{'descr': '<i1', 'fortran_order': False, 'shape': (4,), }", d, 3)),
    ).toEqual(tensor('int8', [4], [1, 0, 5, 0]));
    const i16 = new Uint8Array(new Int16Array([-300, 300]).buffer);
    expect(
      parseNpy(npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", i16)),
    ).toEqual(tensor('int16', [2], [-300, 300]));
  });

  test('data at an unaligned offset is copied', () => {
    const t = tensor('float64', [2], [1.25, -3]);
    const b = formatNpy(t);
    const shifted = new Uint8Array(b.length + 1);
    shifted.set(b, 1);
    expect(parseNpy(shifted.subarray(1))).toEqual(t);
  });
});

describe('errors', () => {
  const f4 = new Uint8Array(8);
  test.each([
    ['bad magic', new TextEncoder().encode('PK\x03\x04 definitely not npy'), 'badNpy'],
    [
      'fortran order',
      npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", f4),
      'badNpy',
    ],
    [
      'big-endian',
      npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4),
      'npyDtype',
    ],
    [
      'complex',
      npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4),
      'npyDtype',
    ],
    [
      'object',
      npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", f4),
      'npyDtype',
    ],
    [
      'truncated data',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4),
      'badNpy',
    ],
    ['no shape', npyBytes("{'descr': '<f4', 'fortran_order': False}", f4), 'badNpy'],
    [
      'version 4',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4, 4),
      'badNpy',
    ],
  ] as const)('%s', (_, bytes, id) => {
    expect(errorId(() => parseNpy(bytes, 'x.npy'))).toBe(id);
  });

  test('messages name the file', () => {
    try {
      readNpy(join(tmp, 'missing.npy'));
      expect.unreachable();
    } catch (e) {
      expect((e as NpuError).id).toBe('fileNotFound');
      expect((e as NpuError).format()).toContain('missing.npy');
    }
    try {
      parseNpy(npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", f4), 'be.npy');
    } catch (e) {
      expect((e as NpuError).format()).toMatch(/be\.npy.*>i4/);
    }
  });
});
