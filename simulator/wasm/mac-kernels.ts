// The MAC array's int32 accumulators computed by the WebAssembly SIMD kernels of mac-kernels.wat (exact; the
// scalar loops of simulator/execute/mac-scalar.ts are what they are tested against).
import { MAC_KERNELS_WASM } from './mac-kernels.wasm.js';

interface Kernels {
  packRows(
    src: number,
    dst: number,
    rows: number,
    k: number,
    kp: number,
    srcStride: number,
    signed: number,
    zp: number,
  ): void;
  im2col(
    ...args: [
      inp: number,
      dst: number,
      kp: number,
      cg: number,
      cStride: number,
      inH: number,
      inW: number,
      kH: number,
      kW: number,
      sH: number,
      sW: number,
      dH: number,
      dW: number,
      padT: number,
      padL: number,
      outW: number,
      p0: number,
      n: number,
      signed: number,
      zp: number,
    ]
  ): void;
  dot(
    patch: number,
    w: number,
    acc: number,
    n: number,
    kg: number,
    kp: number,
    accStride: number,
  ): void;
  requantFloat4(
    ...args: [
      acc: number,
      out: number,
      channels: number,
      count: number,
      bias: number,
      multF: number,
      outZp: number,
      lo: number,
      hi: number,
      act: number,
      clipLo: number,
      clipHi: number,
    ]
  ): void;
  depthwise(
    ...args: [
      inp: number,
      w: number,
      acc: number,
      channels: number,
      cStride: number,
      inH: number,
      inW: number,
      kH: number,
      kW: number,
      sH: number,
      sW: number,
      dH: number,
      dW: number,
      padT: number,
      padL: number,
      outH: number,
      outW: number,
      kp: number,
      signed: number,
      zp: number,
    ]
  ): void;
  requant(
    ...args: [
      acc: number,
      out: number,
      channels: number,
      count: number,
      bias: number,
      multF: number,
      multI: number,
      shifts: number,
      fixed: number,
      outZp: number,
      lo: number,
      hi: number,
      act: number,
      clipLo: number,
      clipHi: number,
      lut: number,
    ]
  ): void;
}

/** The part of the WebAssembly JS API used here (lib es2023 has no WebAssembly types; Node 20 has the API). */
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE = 65536;
const memory = new wasm.Memory({ initial: 16 });
const kernels = new wasm.Instance(new wasm.Module(Buffer.from(MAC_KERNELS_WASM, 'base64')), {
  env: { memory },
}).exports as Kernels;

/** Patch rows per im2col chunk: about 64 KiB of int16 lanes, so a chunk stays in the host's L2 cache. */
const PATCH_BYTES = 65536;

const align16 = (n: number): number => Math.ceil(n / 16) * 16; // no bit ops: sizes may pass 2^31
const lanes = (k: number): number => Math.ceil(k / 8) * 8;

/** Lays out regions of the given byte sizes from `base`, growing the memory; returns their addresses. */
function reserve(sizes: readonly number[], base = 0): { addrs: number[]; bytes: Uint8Array } {
  const addrs: number[] = [];
  let end = align16(base);
  for (const s of sizes) {
    addrs.push(end);
    end = align16(end + s);
  }
  // wasm32 addresses stop at 4 GiB; grow itself throws a RangeError when the host refuses
  if (end > 2 ** 32 - PAGE) throw new RangeError(`kernel memory of ${end} bytes is over 4 GiB`);
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
  return { addrs, bytes: new Uint8Array(memory.buffer) };
}

export interface Operand {
  readonly signed: boolean;
  readonly zp: number;
}

export interface ConvGeometry {
  readonly inC: number;
  readonly inH: number;
  readonly inW: number;
  readonly inCStride: number;
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  readonly groups: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilH: number;
  readonly dilW: number;
  readonly padT: number;
  readonly padL: number;
}

/**
 * Accumulators of a convolution, [outC][outH * outW] int32, as the reference loop computes them (taps in the
 * implicit padding add nothing). The array is a view of kernel memory: valid until the next call.
 */
export function convAccumulators(
  sram: Uint8Array,
  inAddr: number,
  weightAddr: number,
  g: ConvGeometry,
  x: Operand,
  w: Operand,
): Int32Array {
  const cg = g.inC / g.groups;
  const kg = g.outC / g.groups;
  const taps = g.kH * g.kW;
  const k = cg * taps;
  const kp = lanes(k);
  const pixels = g.outH * g.outW;
  const inSpan = (g.inC - 1) * g.inCStride + g.inH * g.inW;
  if (cg === 1 && kg === 1) return depthwiseAccumulators(sram, inAddr, weightAddr, g, x, w);
  const chunk = Math.max(1, Math.floor(PATCH_BYTES / (2 * kp)));
  const patchRows = Math.min(chunk, pixels);
  const { addrs, bytes } = reserve([
    inSpan,
    g.outC * k,
    2 * g.outC * kp,
    2 * patchRows * kp,
    4 * g.outC * pixels,
  ]);
  const [IN, WRAW, WPK, PATCH, ACC] = addrs;
  bytes.set(sram.subarray(inAddr, inAddr + inSpan), IN);
  bytes.set(sram.subarray(weightAddr, weightAddr + g.outC * k), WRAW);
  kernels.packRows(WRAW, WPK, g.outC, k, kp, k, w.signed ? 1 : 0, w.zp);
  for (let grp = 0; grp < g.groups; grp++) {
    const planes = IN + grp * cg * g.inCStride;
    const weights = WPK + 2 * grp * kg * kp;
    const acc = ACC + 4 * grp * kg * pixels;
    for (let p0 = 0; p0 < pixels; p0 += patchRows) {
      const n = Math.min(patchRows, pixels - p0);
      kernels.im2col(
        planes,
        PATCH,
        kp,
        cg,
        g.inCStride,
        g.inH,
        g.inW,
        g.kH,
        g.kW,
        g.strideH,
        g.strideW,
        g.dilH,
        g.dilW,
        g.padT,
        g.padL,
        g.outW,
        p0,
        n,
        x.signed ? 1 : 0,
        x.zp,
      );
      kernels.dot(PATCH, weights, acc + 4 * p0, n, kg, kp, pixels);
    }
  }
  return new Int32Array(memory.buffer, ACC, g.outC * pixels);
}

/** convAccumulators for one input and one output channel per group: direct, no im2col (taps along x vectorised). */
function depthwiseAccumulators(
  sram: Uint8Array,
  inAddr: number,
  weightAddr: number,
  g: ConvGeometry,
  x: Operand,
  w: Operand,
): Int32Array {
  const taps = g.kH * g.kW;
  const kp = lanes(taps);
  const pixels = g.outH * g.outW;
  const inSpan = (g.inC - 1) * g.inCStride + g.inH * g.inW;
  const { addrs, bytes } = reserve([
    inSpan + 16,
    g.outC * taps,
    2 * g.outC * kp,
    4 * g.outC * pixels,
  ]);
  const [IN, WRAW, WPK, ACC] = addrs;
  bytes.set(sram.subarray(inAddr, inAddr + inSpan), IN);
  bytes.set(sram.subarray(weightAddr, weightAddr + g.outC * taps), WRAW);
  kernels.packRows(WRAW, WPK, g.outC, taps, kp, taps, w.signed ? 1 : 0, w.zp);
  kernels.depthwise(
    IN,
    WPK,
    ACC,
    g.outC,
    g.inCStride,
    g.inH,
    g.inW,
    g.kH,
    g.kW,
    g.strideH,
    g.strideW,
    g.dilH,
    g.dilW,
    g.padT,
    g.padL,
    g.outH,
    g.outW,
    kp,
    x.signed ? 1 : 0,
    x.zp,
  );
  return new Int32Array(memory.buffer, ACC, g.outC * pixels);
}

/**
 * Accumulators of a GEMM, [n][m] int32 (output channel major, like conv): A is m rows of k codes aRowStride
 * bytes apart, B is n rows of k codes. A view of kernel memory: valid until the next call.
 */
export function gemmAccumulators(
  sram: Uint8Array,
  aAddr: number,
  aRowStride: number,
  bAddr: number,
  dims: { readonly m: number; readonly n: number; readonly k: number },
  a: Operand,
  b: Operand,
): Int32Array {
  const { m, n, k } = dims;
  const kp = lanes(k);
  const aSpan = (m - 1) * aRowStride + k;
  const { addrs, bytes } = reserve([aSpan, n * k, 2 * m * kp, 2 * n * kp, 4 * m * n]);
  const [ARAW, BRAW, APK, BPK, ACC] = addrs;
  bytes.set(sram.subarray(aAddr, aAddr + aSpan), ARAW);
  bytes.set(sram.subarray(bAddr, bAddr + n * k), BRAW);
  kernels.packRows(ARAW, APK, m, k, kp, aRowStride, a.signed ? 1 : 0, a.zp);
  kernels.packRows(BRAW, BPK, n, k, kp, k, b.signed ? 1 : 0, b.zp);
  kernels.dot(APK, BPK, ACC, m, n, kp, m);
  return new Int32Array(memory.buffer, ACC, m * n);
}

/** The requantization unit's per-channel tables and registers (simulator/execute/mac.ts reads them from SRAM). */
export interface Epilogue {
  /** Per-channel int32 bias (zeros when the instruction has none). */
  readonly bias: Int32Array;
  readonly fixed: boolean;
  /** float mode: float32 multipliers; fixed mode: (multiplier, shift) pairs. */
  readonly multF: Float32Array;
  readonly multI: Int32Array;
  readonly shift: Int32Array;
  readonly outZp: number;
  readonly lo: number;
  readonly hi: number;
  readonly act: 'none' | 'relu' | 'clip' | 'lut';
  readonly clipLo: number;
  readonly clipHi: number;
  /** The activation table's bytes (act 'lut'). */
  readonly lut: Uint8Array | undefined;
}

const ACTS = { none: 0, relu: 1, clip: 2, lut: 3 } as const;

/** Whether the WebAssembly unit computes this epilogue (the reference refuses fixed-mode shifts below -31). */
export const wasmEpilogue = (e: Epilogue): boolean => !e.fixed || e.shift.every((s) => s >= -31);

/**
 * Requantizes accumulators [channels][count] that a kernel of this module returned (still in kernel memory) into
 * output bytes [channels][count]. A view of kernel memory: valid until the next call.
 */
export function requantizeAccumulators(
  acc: Int32Array,
  channels: number,
  count: number,
  e: Epilogue,
): Uint8Array {
  if (acc.buffer !== memory.buffer) throw new Error('requantizeAccumulators: not a kernel result');
  const accAddr = acc.byteOffset;
  const n = channels * count;
  const { addrs, bytes } = reserve(
    [4 * channels, 4 * channels, 4 * channels, 4 * channels, 256, n],
    accAddr + 4 * n,
  );
  const [BIAS, MULTF, MULTI, SHIFT, LUT, OUT] = addrs;
  const words = new Int32Array(memory.buffer);
  words.set(e.bias.subarray(0, channels), BIAS / 4);
  new Float32Array(memory.buffer).set(e.multF.subarray(0, channels), MULTF / 4);
  words.set(e.multI.subarray(0, channels), MULTI / 4);
  words.set(e.shift.subarray(0, channels), SHIFT / 4);
  if (e.lut !== undefined) bytes.set(e.lut.subarray(0, 256), LUT);
  if (!e.fixed && e.act !== 'lut')
    kernels.requantFloat4(
      accAddr,
      OUT,
      channels,
      count,
      BIAS,
      MULTF,
      e.outZp,
      e.lo,
      e.hi,
      ACTS[e.act],
      e.clipLo,
      e.clipHi,
    );
  else
    kernels.requant(
      accAddr,
      OUT,
      channels,
      count,
      BIAS,
      MULTF,
      MULTI,
      SHIFT,
      e.fixed ? 1 : 0,
      e.outZp,
      e.lo,
      e.hi,
      ACTS[e.act],
      e.clipLo,
      e.clipHi,
      LUT,
    );
  return new Uint8Array(memory.buffer, OUT, n);
}

/** Copies accumulators into kernel memory (as a kernel would leave them): for tests of requantizeAccumulators. */
export function stageAccumulators(values: Int32Array): Int32Array {
  const { addrs } = reserve([4 * values.length]);
  const acc = new Int32Array(memory.buffer, addrs[0], values.length);
  acc.set(values);
  return acc;
}
