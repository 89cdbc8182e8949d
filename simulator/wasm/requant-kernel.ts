// The requantization unit in WebAssembly (mac-kernels.wat `requant`, `requantFloat4`) over accumulators a kernel
// left in kernel memory; simulator/execute/mac-scalar.ts requantizeScalar is what it is tested against.
import { kernels, memory, reserve } from './kernel-module.js';

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
