// Little-endian byte writer and bounds-checked reader for prog.bin (every overrun is a catalogued progTruncated error).
import { fail } from '../common/diagnostics.js';

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  // Every writer calls reserve() BEFORE touching buf/view: reserve may replace both, and in
  // `this.view.setUint32(this.reserve(4), ...)` JS would already have read the old view.
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    if (b.length >= 2 ** 16)
      throw new Error(`string of ${b.length} bytes is too long for prog.bin`);
    this.u16(b.length);
    this.bytes(b);
  }
  /** Overwrites a u32 written earlier (for lengths known only afterwards). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private readonly view: DataView;
  private readonly data: Uint8Array;
  pos: number;
  readonly end: number;
  /** What is being read, for messages: 'header', 'section code', ... */
  readonly what: string;

  constructor(data: Uint8Array, start: number, end: number, what: string) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  private take(n: number): number {
    if (this.pos + n > this.end)
      fail('progTruncated', [this.what, n, this.pos, this.end - this.pos]);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.data.slice(at, at + n);
  }
  str(): string {
    const b = this.bytes(this.u16());
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail('progBadSection', [
        this.what,
        `string at offset ${this.pos - b.length} is not UTF-8`,
      ]);
    }
  }
  remaining(): number {
    return this.end - this.pos;
  }
}
