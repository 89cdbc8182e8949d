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

const align16 = (n: number): number => (n + 15) & ~15;
const lanes = (k: number): number => (k + 7) & ~7;

/** Lays out regions of the given byte sizes from address 0, growing the memory; returns their addresses. */
function reserve(sizes: readonly number[]): { addrs: number[]; bytes: Uint8Array } {
  const addrs: number[] = [];
  let end = 0;
  for (const s of sizes) {
    addrs.push(end);
    end = align16(end + s);
  }
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
