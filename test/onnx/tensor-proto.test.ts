// TensorProto decoding from raw_data and typed fields, encoding, float16 conversion, conformance .pb files.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { float32ToHalfBits, halfBitsToFloat32 } from '../../common/half.js';
import { tensor } from '../../common/tensor.js';
import type { Tensor } from '../../common/tensor.js';
import { onnx } from '../../onnx/proto.js';
import { decodeTensorProtoFile, tensorFromProto, tensorToProto } from '../../onnx/tensor-proto.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/onnx-node');

function errorId(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e.id;
    throw e;
  }
  return 'no error';
}

/** Through the wire format, so field handling (packed repeated, Long) is what a real file gives. */
const wire = (p: onnx.ITensorProto): onnx.ITensorProto =>
  onnx.TensorProto.decode(onnx.TensorProto.encode(p).finish());

describe('typed fields', () => {
  test.each([
    [{ dataType: 1, floatData: [1.5, -2] }, tensor('float32', [2], [1.5, -2])],
    [{ dataType: 11, doubleData: [0.1, -3] }, tensor('float64', [2], [0.1, -3])],
    [{ dataType: 3, int32Data: [-128, 127] }, tensor('int8', [2], [-128, 127])],
    [{ dataType: 2, int32Data: [0, 255] }, tensor('uint8', [2], [0, 255])],
    [{ dataType: 5, int32Data: [-32768, 7] }, tensor('int16', [2], [-32768, 7])],
    [{ dataType: 6, int32Data: [-(2 ** 31), 5] }, tensor('int32', [2], [-(2 ** 31), 5])],
    [{ dataType: 9, int32Data: [1, 0] }, tensor('bool', [2], [1, 0])],
    // float16 bits in int32_data: 0x3c00 = 1.0, 0xc000 = -2.0
    [{ dataType: 10, int32Data: [0x3c00, 0xc000] }, tensor('float16', [2], [1, -2])],
  ] as [onnx.ITensorProto, Tensor][])('dataType %#', (p, expected) => {
    expect(tensorFromProto(wire({ ...p, dims: [2] }))).toEqual(expected);
  });

  test('int64_data as Long keeps all 64 bits; as plain numbers too', () => {
    const big = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 12345678901234n];
    const p = wire({
      dims: [4],
      dataType: 7,
      rawData: new Uint8Array(new BigInt64Array(big).buffer),
    });
    expect(Array.from(tensorFromProto(p).data as BigInt64Array)).toEqual(big);
    const viaLong = wire({ dims: [2], dataType: 7, int64Data: [-5, 2 ** 40] });
    expect(typeof viaLong.int64Data![0]).toBe('object');
    expect(Array.from(tensorFromProto(viaLong).data as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
    expect(
      Array.from(
        tensorFromProto({ dims: [2], dataType: 7, int64Data: [3, -4] }).data as BigInt64Array,
      ),
    ).toEqual([3n, -4n]);
  });

  test('0-d tensor', () => {
    expect(tensorFromProto(wire({ dataType: 1, floatData: [4] }))).toEqual(
      tensor('float32', [], [4]),
    );
  });
});

describe('raw_data', () => {
  test('unaligned raw_data is copied; round trip through tensorToProto for every dtype', () => {
    const ts: Tensor[] = [
      tensor('float32', [2, 2], [1, -1, 0.5, 3e38]),
      tensor('float16', [3], [65504, -0.000060975551605224609375, 2 ** -24]),
      tensor('float64', [1], [Math.PI]),
      tensor('int8', [3], [-128, 0, 127]),
      tensor('uint8', [2], [0, 255]),
      tensor('int16', [2], [-32768, 32767]),
      tensor('int32', [1, 1], [-7]),
      tensor('int64', [2], [2n ** 62n, -3n]),
      tensor('bool', [3], [1, 0, 1]),
    ];
    for (const t of ts) {
      const p = tensorToProto('t', t);
      // move the bytes to an odd offset
      const raw = p.rawData!;
      const shifted = new Uint8Array(raw.length + 1);
      shifted.set(raw, 1);
      expect(tensorFromProto({ ...p, rawData: shifted.subarray(1) })).toEqual(t);
      expect(tensorFromProto(wire(p))).toEqual(t);
    }
  });

  test('errors: wrong size, unsupported type, external data, all naming the tensor', () => {
    expect(
      errorId(() =>
        tensorFromProto({ name: 'w', dims: [3], dataType: 1, rawData: new Uint8Array(8) }),
      ),
    ).toBe('badTensorData');
    expect(
      errorId(() => tensorFromProto({ name: 'w', dims: [3], dataType: 1, floatData: [1] })),
    ).toBe('badTensorData');
    expect(
      errorId(() =>
        tensorFromProto({ name: 's', dims: [1], dataType: 8, stringData: [new Uint8Array(1)] }),
      ),
    ).toBe('unsupportedTensorType');
    const ext = {
      name: 'big_w',
      dims: [1],
      dataType: 1,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'w.bin' }],
    };
    expect(errorId(() => tensorFromProto(ext))).toBe('badTensorData');
    try {
      tensorFromProto(ext);
    } catch (e) {
      expect((e as Error).message).toContain('big_w');
    }
  });
});

describe('float16', () => {
  test('every half bit pattern survives half -> float32 -> half', () => {
    for (let h = 0; h < 0x10000; h++) {
      const f = halfBitsToFloat32(h);
      if (Number.isNaN(f)) expect(Number.isNaN(halfBitsToFloat32(float32ToHalfBits(f)))).toBe(true);
      else expect(float32ToHalfBits(f)).toBe(h);
    }
  });

  test('float32 -> half rounds to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
        const h = float32ToHalfBits(x);
        const y = halfBitsToFloat32(h);
        // neighbours in the same sign direction
        const up = halfBitsToFloat32(h + 1);
        const down = h & 0x7fff ? halfBitsToFloat32(h - 1) : -y;
        const err = Math.abs(y - x);
        expect(err).toBeLessThanOrEqual(Math.abs(up - x));
        expect(err).toBeLessThanOrEqual(Math.abs(down - x));
        if (err === Math.abs(up - x) && up !== y) expect(h & 1).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('conformance .pb files', () => {
  const dirs = readdirSync(FIXTURES).filter((d) => d.startsWith('test_'));
  test('every input/output .pb decodes to a tensor whose size matches its shape', () => {
    let count = 0;
    for (const d of dirs) {
      const setDir = join(FIXTURES, d, 'test_data_set_0');
      for (const f of readdirSync(setDir)) {
        const { tensor: t } = decodeTensorProtoFile(readFileSync(join(setDir, f)), f);
        expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        count++;
      }
    }
    expect(count).toBeGreaterThan(400);
  });

  test('test_add output equals input_0 + input_1', () => {
    const read = (f: string) =>
      decodeTensorProtoFile(readFileSync(join(FIXTURES, 'test_add/test_data_set_0', f)), f).tensor;
    const [a, b, c] = [read('input_0.pb'), read('input_1.pb'), read('output_0.pb')];
    expect(c.shape).toEqual([3, 4, 5]);
    for (let i = 0; i < c.data.length; i++)
      expect(c.data[i]).toBe(Math.fround((a.data[i] as number) + (b.data[i] as number)));
  });

  test('garbage is badTensorData naming the file', () => {
    try {
      decodeTensorProtoFile(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'input_9.pb');
      expect.unreachable();
    } catch (e) {
      expect((e as NpuError).id).toBe('badTensorData');
      expect((e as NpuError).format()).toContain('input_9.pb');
    }
  });
});
