// The tiling spec of each op kind: how its output, inputs and constants occupy SRAM (a table, one row per kind).

import type { NpuGraph, NpuOp } from '../ir.js';
import { tensorOf } from '../ir.js';
import type { GemmSpec } from './gemm.js';
import type { WindowSpec } from './window.js';

/** A shape seen as [N][C][H][W] (CHW per image): leading dims fold into N, missing ones are 1. */
export function view4(shape: readonly number[]): [number, number, number, number] {
  const s = [...shape];
  while (s.length < 4) s.unshift(1);
  while (s.length > 4) s.splice(0, 2, s[0] * s[1]);
  return s as [number, number, number, number];
}

const requantBytes = (mode: 'float' | 'fixed'): number => (mode === 'float' ? 4 : 8);
const NO_CONST = { weights: 0, bias: 0, requant: 0 };

/** Element-wise over the output view: channel c reads channel c (groups = C), one row reads one row. */
function elementwise(g: NpuGraph, op: NpuOp, constOnce = 0): WindowSpec {
  const [n, c, h, w] = view4(tensorOf(g, op.output).shape);
  return {
    batch: n,
    inC: c,
    inH: h,
    inW: w,
    outC: c,
    outH: h,
    outW: w,
    kH: 1,
    strideH: 1,
    dilH: 1,
    padT: 0,
    padL: 0,
    padR: 0,
    groups: c,
    perChannel: NO_CONST,
    constOnce,
  };
}

export type Spec =
  | { kind: 'window'; spec: WindowSpec }
  | { kind: 'gemm'; spec: GemmSpec }
  | { kind: 'matmul'; spec: GemmSpec; batch: number }
  | { kind: 'none' };

export function specOf(g: NpuGraph, op: NpuOp): Spec {
  switch (op.kind) {
    case 'conv': {
      const e = op.epilogue;
      const { geom: q } = op;
      const perChannel = {
        weights: (q.inC / q.groups) * q.kH * q.kW,
        bias: e.bias !== undefined ? 4 : 0,
        requant: requantBytes(e.requant.mode),
      };
      return {
        kind: 'window',
        spec: { ...q, perChannel, constOnce: e.activation.act === 'lut' ? 256 : 0 },
      };
    }
    case 'gemm': {
      const e = op.epilogue;
      const perColumn = {
        bias: e.bias !== undefined ? 4 : 0,
        requant: requantBytes(e.requant.mode),
      };
      return {
        kind: 'gemm',
        spec: {
          m: op.m,
          n: op.n,
          k: op.k,
          perColumn,
          constOnce: e.activation.act === 'lut' ? 256 : 0,
        },
      };
    }
    case 'matmul': {
      // Bᵀ's column block is the 'weights' region; the repeated per-tensor requant entry is per column
      const perColumn = { bias: 0, requant: requantBytes(op.epilogue.requant.mode) };
      return {
        kind: 'matmul',
        spec: { m: op.m, n: op.n, k: op.k, perColumn, constOnce: 0 },
        batch: op.batch,
      };
    }
    case 'ibert':
      // whole rows (the last axis is the tile's width): the parameter block is loaded once like a LUT
      return { kind: 'window', spec: elementwise(g, op, op.params.length) };
    case 'pool': {
      const q = op.geom;
      return { kind: 'window', spec: { ...q, groups: q.inC, perChannel: NO_CONST, constOnce: 0 } };
    }
    case 'add':
    case 'mul':
      return { kind: 'window', spec: { ...elementwise(g, op), operandB: op.bMode } };
    case 'lut':
      return { kind: 'window', spec: elementwise(g, op, 256) };
    case 'clamp':
    case 'resize':
      return { kind: 'window', spec: elementwise(g, op) };
    case 'pad': {
      // output rows map to input rows shifted by the top pad; border rows are DMA fill (the window rule with k = 1)
      const [n, c, h, w] = view4(tensorOf(g, op.output).shape);
      const x = view4(tensorOf(g, op.inputs[0]).shape);
      const r = op.pads.length / 2;
      const [padT, padL, padR] =
        r >= 2 ? [op.pads[r - 2], op.pads[r - 1], op.pads[2 * r - 1]] : [0, 0, 0];
      return {
        kind: 'window',
        spec: {
          batch: n,
          inC: c,
          inH: x[2],
          inW: x[3],
          outC: c,
          outH: h,
          outW: w,
          kH: 1,
          strideH: 1,
          dilH: 1,
          padT,
          padL,
          padR,
          groups: c,
          perChannel: NO_CONST,
          constOnce: 0,
        },
      };
    }
    case 'move':
      // staged through SRAM tile by tile: an input tile as large as the output tile (an upper bound for slices)
      return op.view ? { kind: 'none' } : { kind: 'window', spec: elementwise(g, op) };
    case 'host':
      return { kind: 'none' };
  }
}
