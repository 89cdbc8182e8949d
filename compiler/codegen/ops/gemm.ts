// Gemm codegen: column blocks of B (with their bias / requant entries) outer, row blocks of A inner.

import type { GemmOp } from '../../ir.js';
import { ins } from '../builder.js';
import { blockIds, regionAddr, type EmitCx } from '../context.js';
import { cfg, load, loadBytes, store } from '../dma.js';
import type { TiledOp } from '../schedule.js';
import { epilogueLoads, macQuant } from './epilogue.js';

export function gemmOp(cx: EmitCx, op: GemmOp): TiledOp {
  const t = cx.tilingOf(op);
  const x = cx.tensor(op.inputs[0]);
  const [aBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  const blocks = blockIds(t);
  const act = op.epilogue.activation;
  return {
    tiles: t.tiles.length,
    blockOf: (i) => blocks[i],
    blockLoads(k, kb) {
      const tile = t.tiles[blocks.indexOf(k)];
      const [c0, nB] = [tile.c.start, tile.c.end - tile.c.start];
      return [
        ...loadBytes(
          cx.constAddr(op, 'weights') + c0 * op.k,
          regionAddr(t, 'weights', kb),
          nB * op.k,
        ),
        ...epilogueLoads(cx, op, t, c0, nB, kb),
      ];
    },
    once: act.act === 'lut' ? loadBytes(cx.constAddr(op, 'lut'), regionAddr(t, 'lut'), 256) : [],
    tile(i, b, kb) {
      const tile = t.tiles[i];
      const [c0, nB] = [tile.c.start, tile.c.end - tile.c.start];
      const rows = tile.y.end - tile.y.start;
      return {
        loads: [
          cfg(0, [op.k, 0, 0], [op.k, 0, 0]),
          load(aBase + tile.y.start * op.k, regionAddr(t, 'input', b), [op.k, rows, 1, 1]),
        ],
        compute: [
          macQuant(x, op, t, kb),
          ins('gemm', {
            aAddr: regionAddr(t, 'input', b),
            bAddr: regionAddr(t, 'weights', kb),
            outAddr: regionAddr(t, 'output', b),
            m: rows,
            n: nB,
            k: op.k,
            aRowStride: op.k,
            outRowStride: nB,
          }),
        ],
        stores: [
          cfg(1, [op.n, 0, 0], [nB, 0, 0]),
          store(regionAddr(t, 'output', b), outBase + tile.y.start * op.n + c0, [nB, rows, 1, 1]),
        ],
      };
    },
  };
}
