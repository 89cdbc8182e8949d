// Bit-level helpers: the single place where instruction words are packed and unpacked, plus the hashes prog.bin uses.

/** Extracts `bits` bits starting at bit `lsb` of a wide word, as an unsigned bigint. */
export function extractBits(word: bigint, lsb: number, bits: number): bigint {
  return BigInt.asUintN(bits, word >> BigInt(lsb));
}

/** Returns `word` with `bits` bits at `lsb` replaced by `raw` (which must already fit). */
export function insertBits(word: bigint, lsb: number, bits: number, raw: bigint): bigint {
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(lsb);
  return (word & ~mask) | ((raw << BigInt(lsb)) & mask);
}

/** A word of `bytes` bytes as little-endian bytes. */
export function wordToBytes(
  word: bigint,
  bytes: number,
  out = new Uint8Array(bytes),
  offset = 0,
): Uint8Array {
  let w = word;
  for (let i = 0; i < bytes; i++) {
    out[offset + i] = Number(w & 0xffn);
    w >>= 8n;
  }
  return out;
}

/** Little-endian bytes [offset, offset + bytes) as a word. */
export function bytesToWord(data: Uint8Array, offset: number, bytes: number): bigint {
  let w = 0n;
  for (let i = bytes - 1; i >= 0; i--) w = (w << 8n) | BigInt(data[offset + i] ?? 0);
  return w;
}

const f32View = new DataView(new ArrayBuffer(4));

export function float32ToBits(x: number): number {
  f32View.setFloat32(0, x, true);
  return f32View.getUint32(0, true);
}

export function bitsToFloat32(bits: number): number {
  f32View.setUint32(0, bits >>> 0, true);
  return f32View.getFloat32(0, true);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib and PNG). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** FNV-1a 64-bit hash of bytes. */
export function fnv1a64(data: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (let i = 0; i < data.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(data[i])) * FNV_PRIME);
  return h;
}

export const hex = (n: number | bigint, digits: number): string =>
  '0x' + n.toString(16).padStart(digits, '0');
