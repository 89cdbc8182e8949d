// The MAC array's int32 accumulators computed by the WebAssembly SIMD kernels of mac-kernels.wat (exact; the
// scalar loops of simulator/execute/mac-scalar.ts are what they are tested against).
import { kernels, lanes, memory, PATCH_BYTES, reserve } from './kernel-module.js';

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
