// Codegen of the transformer ops: I-BERT row kernels (vec.softmax / vec.layernorm) and the batched act × act matmul.

import type { IbertOp, MatMulOp } from '../../ir.js';
import { view4 } from '../../tiling/specs.js';
import { ins } from '../builder.js';
import { blockIds, regionAddr, type EmitCx } from '../context.js';
import { cfg, load, loadBytes, store } from '../dma.js';
import type { TiledOp } from '../schedule.js';
import { epilogueLoads, macQuant } from './epilogue.js';
import { loadRows, storeRows } from './vector.js';

/**
 * Row kernels over compact [c][rows][W] tiles: every tile row is one kernel row (W = the last axis, never split),
 * so one instruction covers the tile. The parameter block is loaded once into the constant ('lut') region.
 */
export function ibertOp(cx: EmitCx, op: IbertOp): TiledOp {
  const t = cx.tilingOf(op);
  const dims = view4(cx.tensor(op.output).shape);
  const w = dims[3];
  if (w !== op.len) throw new Error(`codegen: ${op.fn} rows of ${op.len} but tiles of width ${w}`);
  const [inBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  const paramAddr = regionAddr(t, 'lut');
  return {
    tiles: t.tiles.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once: loadBytes(cx.constAddr(op, 'params'), paramAddr, op.params.length),
    tile(i, b) {
      const tile = t.tiles[i];
      const [inS, outS] = [regionAddr(t, 'input', b), regionAddr(t, 'output', b)];
      const rows = (tile.c.end - tile.c.start) * (tile.y.end - tile.y.start);
      return {
        loads: loadRows(inBase, dims, tile, tile.y, inS),
        compute: [
          ins(op.fn === 'softmax' ? 'vec.softmax' : 'vec.layernorm', {
            inAddr: inS,
            outAddr: outS,
            paramAddr,
            rows,
            len: w,
            inRowStride: w,
            outRowStride: w,
          }),
        ],
        stores: storeRows(outBase, dims, tile, outS),
      };
    },
  };
}

/**
 * Batched A·Bᵀ: per batch b and column block of Bᵀ (the block's "weights", loaded from the activation Bᵀ like a
 * gemm's constant block, with the repeated requant entries), row blocks of A. Tile.n is the batch.
 */
export function matMulOp(cx: EmitCx, op: MatMulOp): TiledOp {
  const t = cx.tilingOf(op);
  const x = cx.tensor(op.inputs[0]);
  const [aBase, bBase, outBase] = [
    cx.addr(op.inputs[0]),
    cx.addr(op.inputs[1]),
    cx.addr(op.output),
  ];
  const blocks = blockIds(t);
  const { m, n, k } = op;
  return {
    tiles: t.tiles.length,
    blockOf: (i) => blocks[i],
    blockLoads(kIdx, kb) {
      const tile = t.tiles[blocks.indexOf(kIdx)];
      const [c0, nB] = [tile.c.start, tile.c.end - tile.c.start];
      return [
        ...loadBytes(bBase + (tile.n * n + c0) * k, regionAddr(t, 'weights', kb), nB * k),
        ...epilogueLoads(cx, op, t, c0, nB, kb),
      ];
    },
    once: [],
    tile(i, b, kb) {
      const tile = t.tiles[i];
      const [c0, nB] = [tile.c.start, tile.c.end - tile.c.start];
      const rows = tile.y.end - tile.y.start;
      const aRow = tile.n * m + tile.y.start;
      return {
        loads: [
          cfg(0, [k, 0, 0], [k, 0, 0]),
          load(aBase + aRow * k, regionAddr(t, 'input', b), [k, rows, 1, 1]),
        ],
        compute: [
          macQuant(x, op, t, kb),
          ins('gemm', {
            aAddr: regionAddr(t, 'input', b),
            bAddr: regionAddr(t, 'weights', kb),
            outAddr: regionAddr(t, 'output', b),
            m: rows,
            n: nB,
            k,
            aRowStride: k,
            outRowStride: nB,
          }),
        ],
        stores: [
          cfg(1, [n, 0, 0], [nB, 0, 0]),
          store(regionAddr(t, 'output', b), outBase + aRow * n + c0, [nB, rows, 1, 1]),
        ],
      };
    },
  };
}
