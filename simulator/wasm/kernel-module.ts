// The MAC kernels' WebAssembly module (mac-kernels.wat): its exports, its memory, and the layout of one call's
// regions in that memory. The kernels' JavaScript wrappers are mac-kernels.ts and requant-kernel.ts.
import { MAC_KERNELS_WASM } from './mac-kernels.wasm.js';

export interface Kernels {
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
export const memory = new wasm.Memory({ initial: 16 });
export const kernels = new wasm.Instance(new wasm.Module(Buffer.from(MAC_KERNELS_WASM, 'base64')), {
  env: { memory },
}).exports as Kernels;

/** Patch rows per im2col chunk: about 64 KiB of int16 lanes, so a chunk stays in the host's L2 cache. */
export const PATCH_BYTES = 65536;

const align16 = (n: number): number => Math.ceil(n / 16) * 16; // no bit ops: sizes may pass 2^31
export const lanes = (k: number): number => Math.ceil(k / 8) * 8;

/** Lays out regions of the given byte sizes from `base`, growing the memory; returns their addresses. */
export function reserve(
  sizes: readonly number[],
  base = 0,
): { addrs: number[]; bytes: Uint8Array } {
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
