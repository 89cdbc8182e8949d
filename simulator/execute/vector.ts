// Vector engine: vec.scale / vec.zp / vec.movecfg registers, element-wise add and mul, pooling, LUT, move, clamp.
import { multiplyByQuantizedMultiplier } from '../../reference/quant/gemmlowp.js';
import { Q_RANGE, saturate } from '../../reference/quant/requant.js';
import { rheFast as rhe } from './round-fast.js';
import type { Machine, VecRegs } from '../machine.js';
import { readQ } from '../machine.js';
import { vectorCycles } from '../timing.js';
import { NO_WORK, regsOf, work, type Exec } from './work.js';

const f32 = Math.fround;
type Scale = NonNullable<VecRegs['scale']>;
type Zp = NonNullable<VecRegs['zp']>;

/** Registers start at zero. */
export const ZERO_SCALE: Scale = {
  scaleA: 0,
  scaleB: 0,
  scaleOut: 0,
  multA: 0,
  multB: 0,
  multOut: 0,
  shiftA: 0,
  shiftB: 0,
  shiftOut: 0,
  leftShift: 0,
};
export const ZERO_ZP: Zp = {
  typeA: 'int8',
  typeB: 'int8',
  typeOut: 'int8',
  zpA: 0,
  zpB: 0,
  zpOut: 0,
  clipLo: 0,
  clipHi: 0,
  countPad: 0,
};

export const vecScale: Exec<'vec.scale'> = (m, i) => {
  m.vec.scale = regsOf(i);
  return NO_WORK;
};
export const vecZp: Exec<'vec.zp'> = (m, i) => {
  m.vec.zp = regsOf(i);
  return NO_WORK;
};
export const vecMoveCfg: Exec<'vec.movecfg'> = (m, i) => {
  m.vec.move = [
    [i.srcStride1, i.srcStride2, i.srcStride3],
    [i.dstStride1, i.dstStride2, i.dstStride3],
  ];
  return NO_WORK;
};

type Binary = Parameters<Exec<'vec.add'>>[1] | Parameters<Exec<'vec.mul'>>[1];

/** The shared loop of vec.add and vec.mul: B broadcast per bMode; f(a - zpA, b - zpB) is the value before zpOut. */
function binary(m: Machine, i: Binary, f: (da: number, db: number) => number): void {
  const z = m.vec.zp ?? ZERO_ZP;
  if (i.bMode === 'perrow' && i.rowLen === 0)
    m.fault('simBadOperand', "bMode 'perrow' needs rowLen >= 1");
  const bLen =
    i.n === 0
      ? 0
      : i.bMode === 'elementwise'
        ? i.n
        : i.bMode === 'scalar'
          ? 1
          : Math.ceil(i.n / i.rowLen);
  m.checkSram(i.aAddr, i.n, `${i.op} A`);
  m.checkSram(i.bAddr, bLen, `${i.op} B`);
  m.checkSram(i.outAddr, i.n, `${i.op} output`);
  const { sram } = m;
  const A = z.typeA === 'int8' ? m.sramI8 : sram;
  const B = z.typeB === 'int8' ? m.sramI8 : sram;
  const [lo, hi] = Q_RANGE[z.typeOut];
  const { zpA, zpB, zpOut, clipLo, clipHi } = z;
  const { aAddr, bAddr, rowLen, n } = i;
  const mode = i.bMode;
  const out = new Uint8Array(n); // all reads before any write (out may alias A or B)
  for (let k = 0; k < n; k++) {
    const bi = mode === 'elementwise' ? k : mode === 'scalar' ? 0 : Math.floor(k / rowLen);
    const q = saturate(f(A[aAddr + k] - zpA, B[bAddr + bi] - zpB) + zpOut, lo, hi);
    out[k] = Math.min(Math.max(q, clipLo), clipHi) & 0xff;
  }
  if (out.length > 0) sram.set(out, i.outAddr); // an empty result may name any address (unchecked)
  m.traffic.sramRead += i.n + bLen;
  m.traffic.sramWritten += i.n;
}

export const vecAdd: Exec<'vec.add'> = (m, i) => {
  const s = m.vec.scale ?? ZERO_SCALE;
  if (m.hw.requant === 'float') {
    binary(m, i, (da, db) => rhe(f32(f32(f32(s.scaleA * da) + f32(s.scaleB * db)) / s.scaleOut)));
  } else {
    const sh = s.leftShift;
    binary(m, i, (da, db) => {
      const x1 = multiplyByQuantizedMultiplier(Math.imul(da, 2 ** sh), s.multA, s.shiftA);
      const x2 = multiplyByQuantizedMultiplier(Math.imul(db, 2 ** sh), s.multB, s.shiftB);
      return multiplyByQuantizedMultiplier((x1 + x2) | 0, s.multOut, s.shiftOut);
    });
  }
  return work(vectorCycles(m.hw, i.n));
};

export const vecMul: Exec<'vec.mul'> = (m, i) => {
  const s = m.vec.scale ?? ZERO_SCALE;
  if (m.hw.requant === 'float') {
    const ratio = f32(f32(s.scaleA * s.scaleB) / s.scaleOut);
    binary(m, i, (da, db) => rhe(f32(f32(da * db) * ratio)));
  } else binary(m, i, (da, db) => multiplyByQuantizedMultiplier(da * db, s.multOut, s.shiftOut));
  return work(vectorCycles(m.hw, i.n));
};

export const vecLut: Exec<'vec.lut'> = (m, i) => {
  const z = m.vec.zp ?? ZERO_ZP;
  m.checkSram(i.inAddr, i.n, 'vec.lut input');
  m.checkSram(i.outAddr, i.n, 'vec.lut output');
  m.checkSram(i.lutAddr, m.hw.lutEntries, 'vec.lut table');
  const { sram } = m;
  const lo = Q_RANGE[z.typeA][0];
  const out = new Uint8Array(i.n);
  for (let k = 0; k < i.n; k++) out[k] = sram[i.lutAddr + readQ(sram, z.typeA, i.inAddr + k) - lo];
  if (out.length > 0) sram.set(out, i.outAddr); // an empty result may name any address (unchecked)
  m.traffic.sramRead += 2 * i.n;
  m.traffic.sramWritten += i.n;
  return work(vectorCycles(m.hw, i.n));
};

export const vecClamp: Exec<'vec.clamp'> = (m, i) => {
  m.checkSram(i.inAddr, i.n, 'vec.clamp input');
  m.checkSram(i.outAddr, i.n, 'vec.clamp output');
  const { sram } = m;
  const out = new Uint8Array(i.n);
  for (let k = 0; k < i.n; k++)
    out[k] = Math.min(Math.max(readQ(sram, i.type, i.inAddr + k), i.lo), i.hi) & 0xff;
  if (out.length > 0) sram.set(out, i.outAddr); // an empty result may name any address (unchecked)
  m.traffic.sramRead += i.n;
  m.traffic.sramWritten += i.n;
  return work(vectorCycles(m.hw, i.n));
};

export const vecMove: Exec<'vec.move'> = (m, i) => {
  const [src, dst] = m.vec.move;
  const size = [i.size0, i.size1, i.size2, i.size3];
  const total = size[0] * size[1] * size[2] * size[3];
  if (total === 0) return NO_WORK;
  const ext = (st: number[]): number =>
    1 + (size[0] - 1) + size.slice(1).reduce((a, s, d) => a + (s - 1) * st[d], 0);
  m.checkSram(i.srcAddr, ext(src), 'vec.move source');
  m.checkSram(i.dstAddr, ext(dst), 'vec.move destination');
  const { sram } = m;
  const tmp = new Uint8Array(total); // all reads before any write
  let k = 0;
  for (let i3 = 0; i3 < size[3]; i3++)
    for (let i2 = 0; i2 < size[2]; i2++)
      for (let i1 = 0; i1 < size[1]; i1++) {
        const a = i.srcAddr + i1 * src[0] + i2 * src[1] + i3 * src[2];
        tmp.set(sram.subarray(a, a + size[0]), k);
        k += size[0];
      }
  k = 0;
  for (let i3 = 0; i3 < size[3]; i3++)
    for (let i2 = 0; i2 < size[2]; i2++)
      for (let i1 = 0; i1 < size[1]; i1++) {
        sram.set(tmp.subarray(k, k + size[0]), i.dstAddr + i1 * dst[0] + i2 * dst[1] + i3 * dst[2]);
        k += size[0];
      }
  m.traffic.sramRead += total;
  m.traffic.sramWritten += total;
  return work(vectorCycles(m.hw, total));
};
