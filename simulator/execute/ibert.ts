// Vector engine I-BERT row kernels: vec.softmax, vec.layernorm, vec.gelu (integer-only; bit-exact with reference/ibert).
import {
  blockWords,
  decodeIbertParams,
  HEADER_WORDS,
  outRequantizer,
  SOFTMAX_MAX_LEN,
  type GeluBlock,
  type IbertBlock,
  type IbertKind,
  type LayerNormBlock,
  type SoftmaxBlock,
} from '../../isa/ibert-params.js';
import type { InstructionOf } from '../../isa/instructions.js';
import {
  bitLength,
  floorDiv,
  mulFloorShift,
  mulRheShift,
  rheDiv,
} from '../../reference/ibert/int-arith.js';
import type { Machine } from '../machine.js';
import { readQ } from '../machine.js';
import { layerNormRowCycles, rowRoundsCycles, softmaxRowCycles, vectorCycles } from '../timing.js';
import { NO_WORK, work, type Exec } from './work.js';

type RowIns = InstructionOf<'vec.softmax' | 'vec.layernorm' | 'vec.gelu'>;
type BlockOf<K extends IbertKind> = Extract<IbertBlock, { kind: K }>;

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const TWO53 = 2 ** 53;
const MAX_BLOCK_WORDS = blockWords('layernorm', 65535);

/** Reads, decodes and validates the parameter block of `kind` at addr (faults: range, alignment, NPU4009). */
function readBlock<K extends IbertKind>(m: Machine, addr: number, kind: K): BlockOf<K> {
  const what = `${m.current.op} parameter block`;
  m.checkSramWords(addr, 4 * HEADER_WORDS, what);
  const n = m.i32(addr + 4);
  if (n < HEADER_WORDS || n > MAX_BLOCK_WORDS) m.fault('simBadParams', `length ${n} words`);
  m.checkSramWords(addr, 4 * n, what);
  const w = new Int32Array(n);
  for (let k = 0; k < n; k++) w[k] = m.i32(addr + 4 * k);
  const b = decodeIbertParams(kind, w);
  if (typeof b === 'string') return m.fault('simBadParams', b);
  m.traffic.sramRead += 4 * n;
  return b as BlockOf<K>;
}

/** Checks the row operands and returns every row's widened int32 codes, rows x len (all reads before writes). */
function gather(m: Machine, i: RowIns, b: IbertBlock): Int32Array {
  if (i.len === 0) m.fault('simBadOperand', 'len 0: rows need at least one element');
  m.checkSram(i.inAddr, (i.rows - 1) * i.inRowStride + i.len, `${i.op} input rows`);
  m.checkSram(i.outAddr, (i.rows - 1) * i.outRowStride + i.len, `${i.op} output rows`);
  const x = new Int32Array(i.rows * i.len);
  const f = 2 ** b.expand;
  for (let r = 0, k = 0; r < i.rows; r++) {
    const a = i.inAddr + r * i.inRowStride;
    for (let c = 0; c < i.len; c++) x[k++] = (readQ(m.sram, b.inType, a + c) - b.xZp) * f;
  }
  m.traffic.sramRead += i.rows * i.len;
  return x;
}

/** Writes rows x len output values (int8/uint8 values as bytes). */
function scatter(m: Machine, i: RowIns, y: Int32Array): void {
  for (let r = 0, k = 0; r < i.rows; r++) {
    const a = i.outAddr + r * i.outRowStride;
    for (let c = 0; c < i.len; c++) m.sram[a + c] = y[k++] & 0xff;
  }
  m.traffic.sramWritten += i.rows * i.len;
}

/**
 * round-half-even(a·m / 2^s) for int32 a, 0 <= m < 2^31: the 62-bit product as H·2^16 + lo (H = a·m_hi +
 * ⌊a·m_lo / 2^16⌋, every double exact), so no BigInt is needed for s >= 17 (the softmax 16-bit requantization).
 */
export function mulRheShiftFast(a: number, m: number, s: number): number {
  if (s < 17 || !(Math.abs(a) < 2 ** 31)) return mulRheShift(a, m, s);
  const ml = m % 65536;
  const lo = a * ml;
  const loQ = Math.floor(lo / 65536);
  const lr = lo - loQ * 65536; // [0, 2^16)
  const H = a * ((m - ml) / 65536) + loQ; // a·m = H·2^16 + lr
  const k = 2 ** (s - 16);
  const q = Math.floor(H / k);
  const hr = H - q * k; // remainder = hr·2^16 + lr, half = 2^(s-17)·2^16
  const half = k / 2;
  if (hr > half || (hr === half && (lr > 0 || q % 2 !== 0))) return q + 1;
  return q + 0; // + 0: no -0
}

export const vecSoftmax: Exec<'vec.softmax'> = (m, i) => {
  const b: SoftmaxBlock = readBlock(m, i.paramAddr, 'softmax');
  if (i.len > SOFTMAX_MAX_LEN)
    m.fault('simBadOperand', `len ${i.len} exceeds ${SOFTMAX_MAX_LEN} (int32 row sums)`);
  const x = gather(m, i, b);
  if (i.rows === 0) return NO_WORK;
  const rq = outRequantizer(b, m.hw.requant);
  const { x0Int, bInt, cInt, expM, expShift, outputBits } = b;
  const minInput = 30 * x0Int;
  const outDiv = 2 ** (32 - outputBits);
  const n = i.len;
  const e = new Int32Array(n);
  const y = new Int32Array(i.rows * n);
  for (let o = 0; o < x.length; o += n) {
    let mx = x[o];
    for (let k = 1; k < n; k++) if (x[o + k] > mx) mx = x[o + k];
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const d = Math.max(x[o + k] - mx, minInput);
      const z = floorDiv(d, x0Int);
      const t = d - x0Int * z;
      const p = t * (t + bInt) + cInt;
      e[k] = Math.min(Math.max(mulRheShiftFast(p, expM, expShift + z - 30), -32768), 32767);
      sum += e[k];
    }
    if (sum <= 0) m.fault('simBadParams', `softmax row ${o / n} sums to ${sum}`);
    const f = Math.floor(2 ** 32 / sum);
    for (let k = 0; k < n; k++) y[o + k] = rq(Math.floor((e[k] * f) / outDiv), 0);
  }
  scatter(m, i, y);
  return work(rowRoundsCycles(m.hw, new Array<number>(i.rows).fill(softmaxRowCycles(m.hw, n))));
};

/** ⌊√v⌋ by I-BERT's Newton iteration (paper Algorithm 4) and the number of Newton steps (divisions) it took. */
export function iSqrtSteps(v: number): [root: number, steps: number] {
  if (v === 0) return [0, 0];
  let g = 2 ** Math.ceil(bitLength(v) / 2);
  for (let steps = 1; ; steps++) {
    const next = Math.floor((g + Math.floor(v / g)) / 2);
    if (next >= g) return [g, steps];
    g = next;
  }
}

/** Σ ⌊y/2^s⌋² over a row, stopping once it reaches 2^31 (partial sums only grow: the shift is then too small). */
function varianceAt(y: Float64Array, s: number): number {
  const d = 2 ** s;
  let v = 0;
  for (let k = 0; k < y.length && v < 2 ** 31; k++) v += Math.floor(y[k] / d) ** 2;
  return v;
}

export const vecLayerNorm: Exec<'vec.layernorm'> = (m, i) => {
  const b: LayerNormBlock = readBlock(m, i.paramAddr, 'layernorm');
  if (i.len !== b.dim)
    m.fault('simBadOperand', `len ${i.len} differs from the parameter block's dim ${b.dim}`);
  const x = gather(m, i, b);
  if (i.rows === 0) return NO_WORK;
  const rq = outRequantizer(b, m.hw.requant);
  const n = i.len;
  const outShift = 1 + b.headroom;
  const outDiv = 2 ** outShift;
  const yv = new Float64Array(n);
  const y = new Int32Array(i.rows * n);
  const rowCycles = new Array<number>(i.rows);
  for (let o = 0, r = 0; o < x.length; o += n, r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += x[o + k];
    const mean = rheDiv(sum, n);
    for (let k = 0; k < n; k++) yv[k] = x[o + k] - mean;
    // variance with the dynamic shift: one pass per shift tried
    let s = 0;
    let v = varianceAt(yv, 0);
    while (v >= 2 ** 31) v = varianceAt(yv, ++s);
    const [root, steps] = iSqrtSteps(v);
    const std = root * 2 ** s;
    const f = std === 0 ? INT32_MAX : Math.floor(INT32_MAX / std);
    for (let k = 0; k < n; k++) {
      const yk = yv[k];
      const norm =
        Math.abs(yk) * f < TWO53 ? Math.floor((yk * f) / outDiv) : mulFloorShift(yk, f, outShift);
      y[o + k] = rq(Math.min(Math.max(norm + b.biasInt[k], INT32_MIN), INT32_MAX), k);
    }
    rowCycles[r] = layerNormRowCycles(m.hw, n, s + 1, steps);
  }
  scatter(m, i, y);
  return work(rowRoundsCycles(m.hw, rowCycles));
};

export const vecGelu: Exec<'vec.gelu'> = (m, i) => {
  const b: GeluBlock = readBlock(m, i.paramAddr, 'gelu');
  const x = gather(m, i, b);
  if (i.rows === 0) return NO_WORK;
  const rq = outRequantizer(b, m.hw.requant);
  const { bInt, cInt, clip, one } = b;
  const div = 2 ** b.shift;
  const y = new Int32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const q = x[k];
    const t = Math.min(Math.abs(q), clip) + bInt;
    const inner = t * t + cInt;
    const erf = Math.floor((q > 0 ? inner : q < 0 ? -inner : 0) / div);
    y[k] = rq(q * (erf + one) + 0, 0);
  }
  scatter(m, i, y);
  return work(vectorCycles(m.hw, x.length));
};
