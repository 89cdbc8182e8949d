// The conv / gemm epilogue in SRAM: bias and requantization tables of a channel block, and the mac.quant config.

import type { Instruction, InstructionOf } from '../../../isa/instructions.js';
import type { ConvOp, GemmOp, MatMulOp, TensorValue } from '../../ir.js';
import type { OpTiling } from '../../tiling/tile-types.js';
import { ins } from '../builder.js';
import { regionAddr, type EmitCx } from '../context.js';
import { loadBytes } from '../dma.js';

/** Bytes per output channel of the requantization table: float32, or int32 multiplier + int32 shift. */
export const requantEntryBytes = (op: ConvOp | GemmOp | MatMulOp): number =>
  op.epilogue.requant.mode === 'float' ? 4 : 8;

/** The requantization table as mac.quant reads it. */
export function requantBytes(op: ConvOp | GemmOp | MatMulOp): Uint8Array {
  const rq = op.epilogue.requant;
  if (rq.mode === 'float') return new Uint8Array(Float32Array.from(rq.multiplier).buffer);
  const words = new Int32Array(2 * rq.multiplier.length);
  rq.multiplier.forEach((m, c) => {
    words[2 * c] = m;
    words[2 * c + 1] = rq.shift[c];
  });
  return new Uint8Array(words.buffer);
}

/** Loads of the bias and requant entries of channels [c0, c0 + n) into constant buffer kb. */
export function epilogueLoads(
  cx: EmitCx,
  op: ConvOp | GemmOp | MatMulOp,
  t: OpTiling,
  c0: number,
  n: number,
  kb: number,
): Instruction[] {
  const rq = requantEntryBytes(op);
  return [
    ...(op.epilogue.bias !== undefined
      ? loadBytes(cx.constAddr(op, 'bias') + 4 * c0, regionAddr(t, 'bias', kb), 4 * n)
      : []),
    ...loadBytes(cx.constAddr(op, 'requant') + rq * c0, regionAddr(t, 'requant', kb), rq * n),
  ];
}

export function macQuant(
  x: TensorValue,
  op: ConvOp | GemmOp | MatMulOp,
  t: OpTiling,
  kb: number,
): InstructionOf<'mac.quant'> {
  const e = op.epilogue;
  const act = e.activation;
  return ins('mac.quant', {
    inType: x.dtype as 'int8' | 'uint8',
    wType: op.wType,
    outType: e.out.dtype,
    inZp: x.quant?.zp ?? 0,
    wZp: op.wZp,
    outZp: e.out.zp,
    useBias: e.bias !== undefined ? 1 : 0,
    biasAddr: e.bias !== undefined ? regionAddr(t, 'bias', kb) : 0,
    requantAddr: regionAddr(t, 'requant', kb),
    act: act.act,
    clipLo: act.act === 'clip' ? act.lo : 0,
    clipHi: act.act === 'clip' ? act.hi : 0,
    lutAddr: act.act === 'lut' ? regionAddr(t, 'lut') : 0,
  });
}
