// MAC engine: mac.shape / mac.quant registers, conv and gemm loops over SRAM bytes, the fused requant epilogue.
import { Q_RANGE } from '../../reference/quant/requant.js';
import type { Machine, MacRegs } from '../machine.js';
import { convCycles, gemmCycles } from '../timing.js';
import { NO_WORK, regsOf, work, type Exec } from './work.js';
import { convAccumulators, gemmAccumulators } from '../wasm/mac-kernels.js';
import { requantizeAccumulators, wasmEpilogue, type Epilogue } from '../wasm/requant-kernel.js';
import { requantizeScalar } from './mac-scalar.js';

type Quant = NonNullable<MacRegs['quant']>;

export const macShape: Exec<'mac.shape'> = (m, i) => {
  m.mac.shape = regsOf(i);
  return NO_WORK;
};

export const macQuant: Exec<'mac.quant'> = (m, i) => {
  m.mac.quant = regsOf(i);
  return NO_WORK;
};

/** Registers start at zero: an unset mac.quant is the all-zero register file. */
const ZERO_QUANT: Quant = {
  inType: 'int8',
  wType: 'int8',
  outType: 'int8',
  inZp: 0,
  wZp: 0,
  outZp: 0,
  useBias: 0,
  biasAddr: 0,
  requantAddr: 0,
  act: 'none',
  clipLo: 0,
  clipHi: 0,
  lutAddr: 0,
};

/**
 * The requantization unit's tables and registers for `channels` output channels, read from SRAM once per
 * instruction (bias and multiplier words, the activation table).
 */
function epilogueOf(m: Machine, q: Quant, channels: number): Epilogue {
  const fixed = m.hw.requant === 'fixed';
  if (q.useBias === 1) m.checkSramWords(q.biasAddr, 4 * channels, 'bias table');
  m.checkSramWords(q.requantAddr, (fixed ? 8 : 4) * channels, 'requantization table');
  if (q.act === 'lut') m.checkSram(q.lutAddr, m.hw.lutEntries, 'activation table');
  const [lo, hi] = Q_RANGE[q.outType];
  const bias = new Int32Array(channels);
  const multF = new Float32Array(channels);
  const multI = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    if (q.useBias === 1) bias[c] = m.i32(q.biasAddr + 4 * c);
    if (fixed) {
      multI[c] = m.i32(q.requantAddr + 8 * c);
      shift[c] = m.i32(q.requantAddr + 8 * c + 4);
    } else multF[c] = m.f32(q.requantAddr + 4 * c);
  }
  return {
    bias,
    fixed,
    multF,
    multI,
    shift,
    outZp: q.outZp,
    lo,
    hi,
    act: q.act,
    clipLo: q.clipLo,
    clipHi: q.clipHi,
    lut: q.act === 'lut' ? m.sram.slice(q.lutAddr, q.lutAddr + m.hw.lutEntries) : undefined,
  };
}

/** Output bytes [channels][count] from kernel accumulators: the WebAssembly unit, or the scalar one it mirrors. */
const requantize = (acc: Int32Array, channels: number, count: number, e: Epilogue): Uint8Array =>
  wasmEpilogue(e)
    ? requantizeAccumulators(acc, channels, count, e)
    : requantizeScalar(acc, channels, count, e);

/**
 * Runs a kernel; kernel memory that cannot grow (a legal but enormous operand, e.g. a gemm of 65535 rows at row
 * stride 0) is a fault of the instruction, not a crash.
 */
function hostMemory<T>(m: Machine, kernel: () => T): T {
  try {
    return kernel();
  } catch (e) {
    if (e instanceof RangeError)
      m.fault(
        'simBadOperand',
        `operands too large for the simulator's kernel memory (${e.message})`,
      );
    throw e;
  }
}

const operands = (q: Quant) => ({
  x: { signed: q.inType === 'int8', zp: q.inZp },
  w: { signed: q.wType === 'int8', zp: q.wZp },
});

export const conv: Exec<'conv'> = (m, i) => {
  const s = m.mac.shape;
  const q = m.mac.quant ?? ZERO_QUANT;
  if (s === undefined || s.groups === 0 || s.inC % s.groups !== 0 || s.outC % s.groups !== 0)
    return m.fault('simBadOperand', `mac.shape groups ${s?.groups ?? 0} must divide inC and outC`);
  if (s.strideH === 0 || s.strideW === 0 || s.dilH === 0 || s.dilW === 0)
    m.fault('simBadOperand', 'mac.shape strides and dilations must be >= 1');
  const outH = Math.floor((s.inH + s.padT + s.padB - s.dilH * (s.kH - 1) - 1) / s.strideH) + 1;
  const outW = Math.floor((s.inW + s.padL + s.padR - s.dilW * (s.kW - 1) - 1) / s.strideW) + 1;
  if (outH <= 0 || outW <= 0 || s.kH === 0 || s.kW === 0)
    m.fault('simBadOperand', 'empty convolution output');
  const Cg = s.inC / s.groups;
  const Kg = s.outC / s.groups;
  const plane = s.inH * s.inW;
  if (i.inCStride < plane && s.inC > 1)
    m.fault('simBadOperand', `inCStride ${i.inCStride} < inH*inW ${plane}`);
  if (i.outCStride < outH * outW && s.outC > 1)
    m.fault('simBadOperand', `outCStride ${i.outCStride} < outH*outW ${outH * outW}`);
  m.checkSram(i.inAddr, (s.inC - 1) * i.inCStride + plane, 'conv input');
  const taps = s.kH * s.kW;
  m.checkSram(i.weightAddr, s.outC * Cg * taps, 'conv weights');
  m.checkSram(i.outAddr, (s.outC - 1) * i.outCStride + outH * outW, 'conv output');
  const pixels = outH * outW;
  const { x, w } = operands(q);
  const geometry = { ...s, inCStride: i.inCStride, outH, outW };
  const ep = epilogueOf(m, q, s.outC);
  const acc = hostMemory(m, () => convAccumulators(m.sram, i.inAddr, i.weightAddr, geometry, x, w));
  const out = requantize(acc, s.outC, pixels, ep); // written after all reads (no in-place aliasing)
  for (let oc = 0; oc < s.outC; oc++)
    m.sram.set(out.subarray(oc * pixels, (oc + 1) * pixels), i.outAddr + oc * i.outCStride);
  m.traffic.sramRead += s.inC * plane + s.outC * Cg * taps;
  m.traffic.sramWritten += s.outC * pixels;
  const cycles = convCycles(m.hw, { pixels, groups: s.groups, cg: Cg, kg: Kg, taps });
  return work(cycles, s.outC * pixels * Cg * taps);
};

export const gemm: Exec<'gemm'> = (m, i) => {
  const q = m.mac.quant ?? ZERO_QUANT;
  if (i.m === 0 || i.n === 0) return NO_WORK;
  m.checkSram(i.aAddr, (i.m - 1) * i.aRowStride + i.k, 'gemm A');
  m.checkSram(i.bAddr, i.n * i.k, 'gemm B');
  m.checkSram(i.outAddr, (i.m - 1) * i.outRowStride + i.n, 'gemm output');
  const { x, w } = operands(q);
  const ep = epilogueOf(m, q, i.n);
  const acc = hostMemory(m, () =>
    gemmAccumulators(m.sram, i.aAddr, i.aRowStride, i.bAddr, i, x, w),
  );
  const out = requantize(acc, i.n, i.m, ep); // [n][m], like the accumulators
  const { sram } = m;
  for (let r = 0; r < i.m; r++)
    for (let j = 0; j < i.n; j++) sram[i.outAddr + r * i.outRowStride + j] = out[j * i.m + r];
  m.traffic.sramRead += i.m * i.k + i.n * i.k;
  m.traffic.sramWritten += i.m * i.n;
  return work(gemmCycles(m.hw, i.m, i.n, i.k), i.m * i.n * i.k);
};
