// prog.bin: round trips, each catalogued error, and fuzzing of the loader (random files and mutations of valid ones).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DIAGNOSTICS, NpuError } from '../../common/diagnostics.js';
import { assembleWords } from '../../isa/asm.js';
import { crc32 } from '../../isa/bits.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import {
  HEADER_BYTES,
  programFor,
  readProgram,
  writeProgram,
  type Program,
} from '../../isa/program-file.js';
import { arbProgram } from './arb.js';

const npuError = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected an NpuError');
};

const edge = loadHwConfig('edge');
const sample: Program = programFor(edge, {
  code: assembleWords(
    'dma.load channel=0 dramAddr=64 sramAddr=0 size0=16 size1=1 size2=1 size3=1 fill=0 padLo0=0 padHi0=0 padLo1=0 padHi1=0 padLo2=0 padHi2=0 padLo3=0 padHi3=0 signal=1\nhalt wait=1',
  ),
  dram: [{ addr: 64, data: Uint8Array.from({ length: 16 }, (_, k) => k) }],
  inputs: [
    {
      name: 'x',
      shape: [1, 16],
      dtype: 'int8',
      scale: 0.5,
      zeroPoint: -3,
      dramAddr: 0,
      layout: 'NC',
    },
  ],
  outputs: [
    {
      name: 'y',
      shape: [1, 16],
      dtype: 'uint8',
      scale: 0.25,
      zeroPoint: 128,
      dramAddr: 4096,
      layout: 'NC',
    },
  ],
  debug: [
    { pc: 0, node: 'load_x' },
    { pc: 1, node: 'end' },
  ],
});
const bytes = writeProgram(sample);

/** Sets a little-endian u32 and, optionally, recomputes the checksum so the damage reaches the section parser. */
function patched(b: Uint8Array, at: number, v: number, fixCrc: boolean): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, v >>> 0, true);
  if (fixCrc) new DataView(c.buffer).setUint32(16, crc32(c.subarray(HEADER_BYTES)), true);
  return c;
}

const ours = new Set(Object.keys(DIAGNOSTICS).filter((k) => k.startsWith('prog')));

/** Reading `b` either succeeds or throws one of the prog* diagnostics, with the file name attached. */
function loadsOrFailsCleanly(b: Uint8Array): void {
  try {
    readProgram(b, { file: 'fuzz.bin', hw: edge });
  } catch (e) {
    if (!(e instanceof NpuError)) throw e;
    expect(ours).toContain(e.id);
    expect(e.format()).toMatch(/^error NPU30\d\d: fuzz\.bin: /);
  }
}

describe('round trip', () => {
  test('the sample', () => {
    expect(readProgram(bytes, { hw: edge })).toEqual(sample);
  });

  // regression: a section larger than the writer's first buffer used to be copied into the stale buffer
  test('a DRAM image far larger than the initial write buffer', () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const big: Program = { ...sample, dram: [{ addr: 0x40, data }] };
    expect(readProgram(writeProgram(big), { hw: edge })).toEqual(big);
  });

  test('random programs', () => {
    fc.assert(
      fc.property(arbProgram(), (p) => {
        expect(readProgram(writeProgram(p))).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });
});

describe('catalogued errors', () => {
  test('bad magic', () => {
    const e = npuError(() =>
      readProgram(new TextEncoder().encode('PK\x03\x04 a zip file'), { file: 'model.zip' }),
    );
    expect(e.format()).toBe(
      'error NPU3020: model.zip: not a prog.bin (bad magic 0x504b03042061207a; expected "NPUPROG\\0")',
    );
    expect(npuError(() => readProgram(new Uint8Array(0))).id).toBe('progBadMagic');
  });

  test('unsupported format version says which', () => {
    const b = bytes.slice();
    b[8] = 2;
    expect(npuError(() => readProgram(b)).message).toBe(
      'prog.bin format version 2 is not supported (this build reads version 1); recompile it with this npuc',
    );
  });

  test('checksum mismatch', () => {
    const b = bytes.slice();
    b[b.length - 1] ^= 0x40;
    expect(npuError(() => readProgram(b)).message).toMatch(
      /^checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/,
    );
  });

  test('truncated file and truncated section', () => {
    expect(npuError(() => readProgram(bytes.subarray(0, bytes.length - 5))).message).toMatch(
      /^truncated file: needs \d+ bytes/,
    );
    expect(npuError(() => readProgram(bytes.subarray(0, 20))).message).toMatch(
      /^truncated header: needs 4 bytes at offset 20 but only 0 remain/,
    );
    // the first section's length field (right after the header and its id) claims more bytes than there are
    const e = npuError(() => readProgram(patched(bytes, HEADER_BYTES + 4, 1 << 20, true)));
    expect(e.id).toBe('progTruncated');
    expect(e.message).toMatch(/^truncated section table: needs 1048576 bytes/);
  });

  test('fingerprint mismatch names both configs and the fix', () => {
    const e = npuError(() =>
      readProgram(bytes, { file: 'net.bin', hw: loadHwConfig('warboy-2pe') }),
    );
    expect(e.id).toBe('progFingerprint');
    expect(e.format()).toMatch(
      /^error NPU3024: net\.bin: compiled for hardware 'edge' \(fingerprint 0x[0-9a-f]{16}\) but the given hardware is 'warboy-2pe' \(fingerprint 0x[0-9a-f]{16}\); run with --hw matching 'edge' or recompile with --hw warboy-2pe$/,
    );
    expect(readProgram(bytes, { hw: { ...edge, name: 'renamed' } }).hwName).toBe('edge');
  });

  test('bad sections', () => {
    const debugPastEnd = writeProgram({ ...sample, debug: [{ pc: 2, node: 'n' }] });
    expect(npuError(() => readProgram(debugPastEnd)).message).toBe(
      'bad section debug: instruction index 2 is past the 2 instructions',
    );
    expect(readProgram(writeProgram({ ...sample, code: [], debug: [] })).code).toEqual([]);
    expect(npuError(() => readProgram(patched(bytes, HEADER_BYTES, 9, true))).message).toBe(
      'bad section #0: unknown section id 9',
    );
  });
});

describe('loader fuzzing: only catalogued errors, never another exception', () => {
  test('random bytes, with and without a valid header prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (junk, prefix) => {
        const b = prefix ? Uint8Array.from([...bytes.subarray(0, HEADER_BYTES), ...junk]) : junk;
        loadsOrFailsCleanly(b);
        if (prefix) loadsOrFailsCleanly(patched(b, 12, b.length - HEADER_BYTES, true));
      }),
      { numRuns: 500 },
    );
  });

  test('bit flips, with and without a fixed checksum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(bytes.length * 8 - 1), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (bits, fix) => {
          const b = bytes.slice();
          for (const bit of bits) b[bit >> 3] ^= 1 << (bit & 7);
          if (fix && b.length > HEADER_BYTES)
            new DataView(b.buffer).setUint32(16, crc32(b.subarray(HEADER_BYTES)), true);
          loadsOrFailsCleanly(b);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('truncations and extensions', () => {
    fc.assert(
      fc.property(fc.nat(bytes.length), fc.uint8Array({ maxLength: 40 }), (cut, extra) => {
        loadsOrFailsCleanly(bytes.subarray(0, cut));
        loadsOrFailsCleanly(Uint8Array.from([...bytes, ...extra]));
      }),
      { numRuns: 300 },
    );
  });

  test('corrupted length and count fields (checksum fixed so the parser sees them)', () => {
    const u32Offsets = Array.from(
      { length: (bytes.length - HEADER_BYTES) / 1 - 3 },
      (_, k) => HEADER_BYTES + k,
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...u32Offsets),
        fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x10000), fc.nat()),
        (at, v) => {
          loadsOrFailsCleanly(patched(bytes, at, v, true));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
