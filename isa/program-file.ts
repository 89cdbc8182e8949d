// The prog.bin container: header (magic, version, hardware fingerprint, checksum) and sections (code, DRAM image, I/O, debug map).
import { fail, NpuError } from '../common/diagnostics.js';
import { bytesToWord, crc32, hex, wordToBytes } from './bits.js';
import { ByteReader, ByteWriter } from './byte-io.js';
import { fingerprint, fingerprintHex, type HwConfig } from './hw-config.js';
import { WORD_BYTES } from './word.js';

export const PROG_MAGIC = new TextEncoder().encode('NPUPROG\0');
export const PROG_VERSION = 1;
/** magic 8, version u16, reserved u16, payload bytes u32, crc32 u32, section count u32, fingerprint u64. */
export const HEADER_BYTES = 32;

/** Element types a program's inputs and outputs can have. */
export const IO_DTYPES = ['int8', 'uint8', 'int32', 'float32'] as const;
export type IoDType = (typeof IO_DTYPES)[number];

export interface IoDescriptor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: IoDType;
  /** Quantization scale (a float32 value) and zero point of the stored integers. */
  readonly scale: number;
  readonly zeroPoint: number;
  readonly dramAddr: number;
  /** Axis order of the bytes at dramAddr, e.g. 'NCHW'. */
  readonly layout: string;
}

export interface DramSegment {
  readonly addr: number;
  readonly data: Uint8Array;
}

export interface Program {
  /** Name and fingerprint of the hardware config the program was compiled for. */
  readonly hwName: string;
  readonly hwFingerprint: bigint;
  /** Raw 256-bit instruction words; decoding happens at execution, so an illegal opcode faults at its pc. */
  readonly code: readonly bigint[];
  /** Constant DRAM image: weights, biases, requantization tables, LUTs. */
  readonly dram: readonly DramSegment[];
  readonly inputs: readonly IoDescriptor[];
  readonly outputs: readonly IoDescriptor[];
  /** Instruction index -> ONNX node name. */
  readonly debug: readonly { readonly pc: number; readonly node: string }[];
}

const SECTIONS = ['meta', 'code', 'dram', 'io', 'debug'] as const;
type SectionName = (typeof SECTIONS)[number];
const SECTION_ID: Record<SectionName, number> = { meta: 1, code: 2, dram: 3, io: 4, debug: 5 };
const MAX_RANK = 8;
/** Smallest encoding of one entry of each list section, to reject impossible counts before allocating. */
const MIN_ENTRY_BYTES = { dram: 12, io: 23, debug: 6 } as const;

/** A list length read from `r`, checked against the bytes left (a corrupted count must not allocate gigabytes). */
function countOf(r: ByteReader, minEntryBytes: number): number {
  const n = r.u32();
  if (n * minEntryBytes > r.remaining())
    fail('progTruncated', [`${r.what} (${n} entries)`, n * minEntryBytes, r.pos, r.remaining()]);
  return n;
}

/** A program built for `hw`. */
export const programFor = (
  hw: HwConfig,
  p: Omit<Program, 'hwName' | 'hwFingerprint'>,
): Program => ({
  hwName: hw.name,
  hwFingerprint: fingerprint(hw),
  ...p,
});

function writeIo(w: ByteWriter, dir: number, d: IoDescriptor): void {
  w.u8(dir);
  w.str(d.name);
  w.u8(IO_DTYPES.indexOf(d.dtype));
  w.u8(d.shape.length);
  for (const n of d.shape) w.u32(n);
  w.f32(d.scale);
  w.i32(d.zeroPoint);
  w.u64(BigInt(d.dramAddr));
  w.str(d.layout);
}

function sectionBody(p: Program, name: SectionName): Uint8Array {
  const w = new ByteWriter();
  switch (name) {
    case 'meta':
      w.str(p.hwName);
      break;
    case 'code':
      for (const word of p.code) w.bytes(wordToBytes(word, WORD_BYTES));
      break;
    case 'dram':
      w.u32(p.dram.length);
      for (const s of p.dram) {
        w.u64(BigInt(s.addr));
        w.u32(s.data.length);
        w.bytes(s.data);
      }
      break;
    case 'io':
      w.u32(p.inputs.length + p.outputs.length);
      for (const d of p.inputs) writeIo(w, 0, d);
      for (const d of p.outputs) writeIo(w, 1, d);
      break;
    case 'debug':
      w.u32(p.debug.length);
      for (const e of p.debug) {
        w.u32(e.pc);
        w.str(e.node);
      }
      break;
  }
  return w.result();
}

/** The bytes of a prog.bin. */
export function writeProgram(p: Program): Uint8Array {
  const payload = new ByteWriter();
  for (const name of SECTIONS) {
    const body = sectionBody(p, name);
    payload.u32(SECTION_ID[name]);
    payload.u32(body.length);
    payload.bytes(body);
  }
  const bytes = payload.result();
  const h = new ByteWriter();
  h.bytes(PROG_MAGIC);
  h.u16(PROG_VERSION);
  h.u16(0);
  h.u32(bytes.length);
  h.u32(crc32(bytes));
  h.u32(SECTIONS.length);
  h.u64(p.hwFingerprint);
  h.bytes(bytes);
  return h.result();
}

export interface ReadOptions {
  /** File name for messages. */
  readonly file?: string;
  /** If given, the program must have been compiled for this config. */
  readonly hw?: HwConfig;
}

function readAddr(r: ByteReader): number {
  const a = r.u64();
  if (a > BigInt(Number.MAX_SAFE_INTEGER))
    fail('progBadSection', [r.what, `address ${a} is too large`]);
  return Number(a);
}

function readIo(r: ByteReader): { dir: number; d: IoDescriptor } {
  const dir = r.u8();
  if (dir > 1)
    fail('progBadSection', [r.what, `direction ${dir} is neither input (0) nor output (1)`]);
  const name = r.str();
  const code = r.u8();
  const dtype = IO_DTYPES.at(code);
  if (dtype === undefined)
    return fail('progBadSection', [r.what, `'${name}' has unknown dtype code ${code}`]);
  const rank = r.u8();
  if (rank > MAX_RANK)
    fail('progBadSection', [r.what, `'${name}' has rank ${rank} (at most ${MAX_RANK})`]);
  const shape = Array.from({ length: rank }, () => r.u32());
  const d = {
    name,
    shape,
    dtype,
    scale: r.f32(),
    zeroPoint: r.i32(),
    dramAddr: readAddr(r),
    layout: r.str(),
  };
  return { dir, d };
}

function parseSections(bytes: Uint8Array, count: number): Program & { hwName: string } {
  const r = new ByteReader(bytes, HEADER_BYTES, bytes.length, 'section table');
  const seen = new Map<SectionName, ByteReader>();
  for (let k = 0; k < count; k++) {
    const id = r.u32();
    const length = r.u32();
    const name = SECTIONS.find((n) => SECTION_ID[n] === id);
    if (name === undefined) fail('progBadSection', [`#${k}`, `unknown section id ${id}`]);
    if (seen.has(name)) fail('progBadSection', [name, 'appears twice']);
    const start = r.pos;
    r.bytes(length); // bounds check: a length past the end is a truncated section
    seen.set(name, new ByteReader(bytes, start, start + length, `section ${name}`));
  }
  if (r.remaining() !== 0)
    fail('progBadSection', ['table', `${r.remaining()} bytes after the last section`]);
  const section = (n: SectionName): ByteReader =>
    seen.get(n) ?? fail('progBadSection', [n, 'is missing']);
  const finish = <T>(s: ByteReader, v: T): T => {
    if (s.remaining() !== 0)
      fail('progBadSection', [
        s.what.replace('section ', ''),
        `${s.remaining()} unexpected trailing bytes`,
      ]);
    return v;
  };

  const meta = section('meta');
  const hwName = finish(meta, meta.str());
  const cs = section('code');
  if (cs.remaining() % WORD_BYTES !== 0)
    fail('progBadSection', [
      'code',
      `${cs.remaining()} bytes is not a whole number of ${WORD_BYTES}-byte instructions`,
    ]);
  const code = Array.from({ length: cs.remaining() / WORD_BYTES }, (_, k) =>
    bytesToWord(bytes, cs.pos + k * WORD_BYTES, WORD_BYTES),
  );
  const ds = section('dram');
  const dram = finish(
    ds,
    Array.from({ length: countOf(ds, MIN_ENTRY_BYTES.dram) }, () => ({
      addr: readAddr(ds),
      data: ds.bytes(ds.u32()),
    })),
  );
  const ios = section('io');
  const io = finish(
    ios,
    Array.from({ length: countOf(ios, MIN_ENTRY_BYTES.io) }, () => readIo(ios)),
  );
  const dbg = section('debug');
  const debug = finish(
    dbg,
    Array.from({ length: countOf(dbg, MIN_ENTRY_BYTES.debug) }, () => ({
      pc: dbg.u32(),
      node: dbg.str(),
    })),
  );
  for (const e of debug) {
    if (e.pc >= code.length)
      fail('progBadSection', [
        'debug',
        `instruction index ${e.pc} is past the ${code.length} instructions`,
      ]);
  }
  return {
    hwName,
    hwFingerprint: 0n,
    code,
    dram,
    inputs: io.filter((x) => x.dir === 0).map((x) => x.d),
    outputs: io.filter((x) => x.dir === 1).map((x) => x.d),
    debug,
  };
}

/** Parses and checks a prog.bin; every problem is a catalogued NpuError naming the file. */
export function readProgram(bytes: Uint8Array, opts: ReadOptions = {}): Program {
  try {
    const h = new ByteReader(bytes, 0, bytes.length, 'header');
    const magic = h.bytes(Math.min(PROG_MAGIC.length, bytes.length));
    if (magic.length < PROG_MAGIC.length || magic.some((b, k) => b !== PROG_MAGIC[k])) {
      const shown = Array.from(magic, (b) => b.toString(16).padStart(2, '0')).join('');
      fail('progBadMagic', [`0x${shown}`, '"NPUPROG\\0"']);
    }
    const version = h.u16();
    if (version !== PROG_VERSION) fail('progVersion', [version, PROG_VERSION]);
    if (h.u16() !== 0) fail('progBadSection', ['header', 'reserved field is not zero']);
    const payloadBytes = h.u32();
    const storedCrc = h.u32();
    const count = h.u32();
    const fp = h.u64();
    if (bytes.length < HEADER_BYTES + payloadBytes)
      fail('progTruncated', ['file', HEADER_BYTES + payloadBytes, 0, bytes.length]);
    if (bytes.length > HEADER_BYTES + payloadBytes)
      fail('progBadSection', [
        'header',
        `${bytes.length - HEADER_BYTES - payloadBytes} bytes after the declared payload`,
      ]);
    const crc = crc32(bytes.subarray(HEADER_BYTES));
    if (crc !== storedCrc) fail('progChecksum', [hex(storedCrc, 8), hex(crc, 8)]);
    const p = { ...parseSections(bytes, count), hwFingerprint: fp };
    if (opts.hw !== undefined && fingerprint(opts.hw) !== fp) {
      fail('progFingerprint', [p.hwName, hex(fp, 16), opts.hw.name, fingerprintHex(opts.hw)]);
    }
    return p;
  } catch (e) {
    if (e instanceof NpuError && opts.file !== undefined) e.at({ file: opts.file });
    throw e;
  }
}
