// Test helper for vector instructions: a one-instruction program around a body, and shared parameters.
import { tensor, type Tensor } from '../../common/tensor.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { InstructionOf } from '../../isa/instructions.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { simulate } from '../../simulator/simulate.js';
import type { QType } from '../helpers/arbitraries.js';
import { vals } from '../reference/quant-harness.js';
import { ProgramBuilder } from './program-builder.js';

export const PRESETS = ['edge', 'warboy-2pe'] as const;
export const MODES = ['float', 'fixed'] as const;
export const f = (v: number): Tensor => tensor('float32', [], [v]);
export const q = (dtype: QType, v: number): Tensor => tensor(dtype, [], [v]);
export const zpOf = (t: QType, v: number): number => v + Q_RANGE[t][0];
export type Fields<M extends 'vec.scale' | 'vec.zp'> = Partial<Omit<InstructionOf<M>, 'op'>>;

/**
 * One vector op: loads inputs (sems 0, 1) and constants (sem 2), sets vec.scale / vec.zp, runs `body`
 * (waits 0b111, signals 3), stores the output (signals 4), halts. Returns the raw output values.
 */
export function runVector(
  hw: HwConfig,
  ins: readonly { t: Tensor; scale?: number; zp?: number }[],
  consts: readonly Uint8Array[],
  out: { shape: readonly number[]; dtype: QType },
  scale: Fields<'vec.scale'>,
  zp: Fields<'vec.zp'>,
  body: (b: ProgramBuilder, inAddr: number[], constAddr: number[], outAddr: number) => void,
): number[] {
  const b = new ProgramBuilder(hw);
  const descs = ins.map((x, k) =>
    b.io('in', `x${k}`, x.t.shape, x.t.dtype as QType, x.scale ?? 1, x.zp ?? 0),
  );
  const yd = b.io('out', 'y', out.shape, out.dtype);
  const inAddr = descs.map((d, k) => b.loadInput(d, 1 << k));
  const constAddr = consts.length > 0 ? b.loadConstants(consts, 0b100) : [];
  if (consts.length === 0) b.emit('sync', { signal: 0b100 });
  if (ins.length === 1) b.emit('sync', { signal: 0b10 });
  b.emit('vec.scale', scale);
  b.emit('vec.zp', zp);
  const outAddr = b.sramAlloc(out.shape.reduce((a, x) => a * x, 1));
  body(b, inAddr, constAddr, outAddr);
  b.storeOutput(yd, outAddr, 0b1000, 0b10000);
  b.emit('halt', { wait: 0b10000 });
  const inputs = Object.fromEntries(ins.map((x, k) => [`x${k}`, x.t]));
  return vals(simulate(b.program(), inputs, { hw, raw: true }).outputs.y);
}
