// NumPy .npy files <-> Tensor (format versions 1.0, 2.0 and 3.0; little-endian, C order).

import { readFileSync } from 'node:fs';
import type { DType, Tensor } from './tensor.js';
import { DTYPE_BYTES, sizeOf } from './tensor.js';
import { NpuError, fail } from './diagnostics.js';
import { writeFileAtomic } from './atomic-write.js';
import { float32ToHalfBits, halfBitsToFloat32 } from './half.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr (byte order stripped) -> dtype; one-byte types may use '|' or '<'. */
const DESCR: Partial<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
};
const SUPPORTED = '<f2 <f4 <f8 |i1 |u1 |b1 <i2 <i4 <i8';

const DESCR_OF: Record<DType, string> = {
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
};

function parseHeader(
  h: string,
  where: string,
): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(h)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(h)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail('badNpy', [`malformed header ${JSON.stringify(h.trim())}`], { file: where });
  }
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = parts.map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d)))
    fail('badNpy', [`bad shape (${shapeText})`], { file: where });
  return { descr, fortran: fortran === 'True', shape };
}

export function parseNpy(bytes: Uint8Array, file?: string): Tensor {
  const where = file ?? '<bytes>';
  const loc = file !== undefined ? { file } : {};
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail('badNpy', ['missing the \\x93NUMPY magic'], loc);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('badNpy', ['truncated header'], loc);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    return fail('badNpy', [`unsupported format version ${major}.${bytes[7]}`], loc);
  }
  if (start + headerLen > bytes.length) fail('badNpy', ['truncated header'], loc);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const { descr, fortran, shape } = parseHeader(header, where);
  const order = descr[0];
  const dtype = DESCR[descr.slice(1)];
  const oneByte = dtype !== undefined && DTYPE_BYTES[dtype] === 1;
  if (
    dtype === undefined ||
    !(order === '<' || (order === '|' && oneByte) || (order === '=' && oneByte))
  ) {
    fail('npyDtype', [descr, SUPPORTED], loc);
  }
  // C order only: Fortran-order data would need a transpose
  if (fortran) fail('badNpy', ['fortran_order arrays are not supported'], loc);
  const n = sizeOf(shape);
  const width = DTYPE_BYTES[dtype];
  const offset = start + headerLen;
  if (bytes.length - offset < n * width) {
    fail(
      'badNpy',
      [
        `truncated data: ${n} elements of ${descr} need ${n * width} bytes, got ${bytes.length - offset}`,
      ],
      loc,
    );
  }
  // copy into a fresh, aligned buffer (not .slice: on a Buffer that is a view into a shared pool)
  const raw = new Uint8Array(n * width);
  raw.set(bytes.subarray(offset, offset + n * width));
  const buf = raw.buffer;
  let data: Tensor['data'];
  switch (dtype) {
    case 'float16': {
      const bits = new Uint16Array(buf);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfBitsToFloat32(bits[i]);
      data = out;
      break;
    }
    case 'float32':
      data = new Float32Array(buf);
      break;
    case 'float64':
      data = new Float64Array(buf);
      break;
    case 'int8':
      data = new Int8Array(buf);
      break;
    case 'uint8':
      data = raw;
      break;
    case 'bool':
      for (let i = 0; i < n; i++) raw[i] = raw[i] !== 0 ? 1 : 0;
      data = raw;
      break;
    case 'int16':
      data = new Int16Array(buf);
      break;
    case 'int32':
      data = new Int32Array(buf);
      break;
    case 'int64':
      data = new BigInt64Array(buf);
      break;
  }
  return { dtype, shape, data };
}

export function formatNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let dict = `{'descr': '${DESCR_OF[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // pad with spaces so the data starts on a 64-byte boundary; the header ends with '\n'
  let major = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 0xffff) {
    major = 2;
    pre = 12;
  }
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const hlen = dict.length;
  let body: Uint8Array;
  if (t.dtype === 'float16') {
    const bits = new Uint16Array(t.data.length);
    for (let i = 0; i < bits.length; i++) bits[i] = float32ToHalfBits((t.data as Float32Array)[i]);
    body = new Uint8Array(bits.buffer);
  } else {
    body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const out = new Uint8Array(pre + hlen + body.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  for (let i = 0; i < hlen; i++) out[pre + i] = dict.charCodeAt(i);
  out.set(body, pre + hlen);
  return out;
}

export function readNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('fileNotFound', [], { file: path });
    return fail('fileUnreadable', [(e as Error).message], { file: path });
  }
  try {
    return parseNpy(bytes, path);
  } catch (e) {
    if (e instanceof NpuError) e.at({ file: path });
    throw e;
  }
}

export function writeNpy(path: string, t: Tensor): void {
  writeFileAtomic(path, formatNpy(t));
}
