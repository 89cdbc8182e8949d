// Codegen of the element-wise vector ops (add, mul, lut, clamp) and of pooling, tile by tile over [N][C][H][W].

import type { Instruction } from '../../../isa/instructions.js';
import { Q_RANGE } from '../../../reference/quant/requant.js';
import type { BinaryOp, ClampOp, LutOp, PoolOp, Q8 } from '../../ir.js';
import { view4 } from '../../tiling/specs.js';
import type { Tile } from '../../tiling/tile-types.js';
import { ins } from '../builder.js';
import { regionAddr, type EmitCx } from '../context.js';
import { cfg, load, loadBytes, store } from '../dma.js';
import type { TiledOp } from '../schedule.js';

type Box = [number, number, number, number];

/** Load of channels c and rows `rows` of an [N][C][H][W] tensor into a compact [c][rows][W] SRAM tile. */
export function loadRows(
  base: number,
  dims: Box,
  tile: Tile,
  rows: { start: number; end: number },
  sram: number,
): Instruction[] {
  const [, c, h, w] = dims;
  const nr = rows.end - rows.start;
  return [
    cfg(0, [w, h * w, 0], [w, nr * w, 0]),
    load(base + ((tile.n * c + tile.c.start) * h + rows.start) * w, sram, [
      w,
      nr,
      tile.c.end - tile.c.start,
      1,
    ]),
  ];
}

/** Store of a compact [c][rows][W] output tile. */
export function storeRows(base: number, dims: Box, tile: Tile, sram: number): Instruction[] {
  const [, c, h, w] = dims;
  const nr = tile.y.end - tile.y.start;
  return [
    cfg(1, [w, h * w, 0], [w, nr * w, 0]),
    store(sram, base + ((tile.n * c + tile.c.start) * h + tile.y.start) * w, [
      w,
      nr,
      tile.c.end - tile.c.start,
      1,
    ]),
  ];
}

const tileElems = (tile: Tile, w: number): number =>
  (tile.c.end - tile.c.start) * (tile.y.end - tile.y.start) * w;

/** add / mul / lut / clamp: one vector instruction per tile over the compact tile. */
export function elementwiseOp(cx: EmitCx, op: BinaryOp | LutOp | ClampOp): TiledOp {
  const t = cx.tilingOf(op);
  const dims = view4(cx.tensor(op.output).shape);
  const a = cx.tensor(op.inputs[0]);
  const out = cx.tensor(op.output);
  const [aBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  const once: Instruction[] = [];
  const configs: Instruction[] = [];
  if (op.kind === 'lut') {
    once.push(...loadBytes(cx.constAddr(op, 'lut'), regionAddr(t, 'lut'), 256));
    configs.push(ins('vec.zp', { typeA: a.dtype as Q8, typeOut: out.dtype as Q8 }));
  }
  if (op.kind === 'add' || op.kind === 'mul') {
    // a constant B (broadcast to the output's shape) lives in the constant image, not in the DRAM plan
    const bT = op.constB ?? {
      dtype: cx.tensor(op.inputs[1]).dtype,
      zp: cx.tensor(op.inputs[1]).quant?.zp ?? 0,
    };
    if (op.bMode === 'scalar')
      once.push(...loadBytes(cx.addr(op.inputs[1]), regionAddr(t, 'inputB'), 1));
    configs.push(
      ins('vec.scale', {
        scaleA: op.scale.a,
        scaleB: op.scale.b,
        scaleOut: op.scale.out,
        ...op.fixed,
      }),
      ins('vec.zp', {
        typeA: a.dtype as Q8,
        typeB: bT.dtype as Q8,
        typeOut: out.dtype as Q8,
        zpA: a.quant?.zp ?? 0,
        zpB: bT.zp,
        zpOut: out.quant?.zp ?? 0,
        clipLo: op.clip.lo,
        clipHi: op.clip.hi,
      }),
    );
  }
  return {
    tiles: t.tiles.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once,
    tile(i, b) {
      const tile = t.tiles[i];
      const [inA, outS] = [regionAddr(t, 'input', b), regionAddr(t, 'output', b)];
      const n = tileElems(tile, dims[3]);
      const loads = loadRows(aBase, dims, tile, tile.y, inA);
      let compute: Instruction;
      if (op.kind === 'add' || op.kind === 'mul') {
        const inB = regionAddr(t, 'inputB', b);
        const bBase = op.constB !== undefined ? cx.constAddr(op, 'operand') : cx.addr(op.inputs[1]);
        if (op.bMode === 'elementwise') loads.push(...loadRows(bBase, dims, tile, tile.y, inB));
        if (op.bMode === 'perrow')
          loads.push(...loadBytes(bBase + tile.c.start, inB, tile.c.end - tile.c.start));
        compute = ins(op.kind === 'add' ? 'vec.add' : 'vec.mul', {
          aAddr: inA,
          bAddr: inB,
          outAddr: outS,
          n,
          bMode: op.bMode,
          rowLen: op.bMode === 'perrow' ? (tile.y.end - tile.y.start) * dims[3] : 0,
        });
      } else if (op.kind === 'lut')
        compute = ins('vec.lut', { inAddr: inA, outAddr: outS, lutAddr: regionAddr(t, 'lut'), n });
      else if (op.kind === 'clamp')
        compute = ins('vec.clamp', {
          inAddr: inA,
          outAddr: outS,
          n,
          type: a.dtype as Q8,
          lo: op.lo,
          hi: op.hi,
        });
      else throw new Error('unreachable');
      return {
        loads,
        compute: [...configs, compute],
        stores: storeRows(outBase, dims, tile, outS),
      };
    },
  };
}

/** Max / average / global-average pooling: input rows of the tile's windows, padding applied by vec.pool. */
export function poolOp(cx: EmitCx, op: PoolOp): TiledOp {
  const t = cx.tilingOf(op);
  const q = op.geom;
  const x = cx.tensor(op.inputs[0]);
  const y = cx.tensor(op.output);
  const [lo, hi] = Q_RANGE[y.dtype as Q8];
  const configs = [
    ins('vec.scale', {
      scaleA: op.scale.a,
      scaleOut: op.scale.out,
      multOut: op.fixed.multOut,
      shiftOut: op.fixed.shiftOut,
    }),
    ins('vec.zp', {
      typeA: x.dtype as Q8,
      typeOut: y.dtype as Q8,
      zpA: x.quant?.zp ?? 0,
      zpOut: y.quant?.zp ?? 0,
      clipLo: lo,
      clipHi: hi,
      countPad: op.countPad ? 1 : 0,
    }),
  ];
  const inDims: Box = [q.batch, q.inC, q.inH, q.inW];
  const outDims: Box = [q.batch, q.outC, q.outH, q.outW];
  const [inBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  return {
    tiles: t.tiles.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once: [],
    tile(i, b) {
      const tile = t.tiles[i];
      const rows = tile.inRows!;
      const [inS, outS] = [regionAddr(t, 'input', b), regionAddr(t, 'output', b)];
      const pool = ins('vec.pool', {
        kind: op.pool,
        inAddr: inS,
        outAddr: outS,
        c: tile.c.end - tile.c.start,
        h: rows.end - rows.start,
        w: q.inW,
        kH: op.pool === 'gavg' ? 0 : q.kH,
        kW: op.pool === 'gavg' ? 0 : q.kW,
        strideH: op.pool === 'gavg' ? 0 : q.strideH,
        strideW: op.pool === 'gavg' ? 0 : q.strideW,
        padT: op.pool === 'gavg' ? 0 : tile.padTop!,
        padB: op.pool === 'gavg' ? 0 : tile.padBottom!,
        padL: op.pool === 'gavg' ? 0 : q.padL,
        padR: op.pool === 'gavg' ? 0 : q.padR,
      });
      return {
        loads: loadRows(inBase, inDims, tile, rows, inS),
        compute: [...configs, pool],
        stores: storeRows(outBase, outDims, tile, outS),
      };
    },
  };
}
