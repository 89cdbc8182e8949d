// Conv codegen: per tile a padded input load (halo and border padding written by the DMA with the zero point), the
// channel block's constants when it changes, mac.shape / mac.quant, conv, and a store of the output rows.

import type { Instruction } from '../../../isa/instructions.js';
import type { ConvOp } from '../../ir.js';
import { ins } from '../builder.js';
import { blockIds, regionAddr, type EmitCx } from '../context.js';
import { cfg, load, loadBytes, store } from '../dma.js';
import type { TiledOp } from '../schedule.js';
import { epilogueLoads, macQuant } from './epilogue.js';

export function convOp(cx: EmitCx, op: ConvOp): TiledOp {
  const t = cx.tilingOf(op);
  const q = op.geom;
  const x = cx.tensor(op.inputs[0]);
  const cg = q.inC / q.groups;
  const wPerOc = cg * q.kH * q.kW;
  const paddedW = q.inW + q.padL + q.padR;
  const maxVirt = (t.tileShape.rows - 1) * q.strideH + q.dilH * (q.kH - 1) + 1;
  const inCStride = maxVirt * paddedW;
  const outCStride = t.tileShape.rows * q.outW;
  const [inBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  const blocks = blockIds(t);
  const act = op.epilogue.activation;

  const blockLoads = (k: number, kb: number): Instruction[] => {
    const tile = t.tiles[blocks.indexOf(k)];
    const [oc0, oc] = [tile.c.start, tile.c.end - tile.c.start];
    return [
      ...loadBytes(
        cx.constAddr(op, 'weights') + oc0 * wPerOc,
        regionAddr(t, 'weights', kb),
        oc * wPerOc,
      ),
      ...epilogueLoads(cx, op, t, oc0, oc, kb),
    ];
  };

  return {
    tiles: t.tiles.length,
    blockOf: (i) => blocks[i],
    blockLoads,
    once: act.act === 'lut' ? loadBytes(cx.constAddr(op, 'lut'), regionAddr(t, 'lut'), 256) : [],
    tile(i, b, kb) {
      const tile = t.tiles[i];
      const [oc0, oc] = [tile.c.start, tile.c.end - tile.c.start];
      const rows = tile.inRows!;
      const ic = tile.inC!;
      const virt = tile.padTop! + (rows.end - rows.start) + tile.padBottom!;
      const outRows = tile.y.end - tile.y.start;
      return {
        loads: [
          cfg(0, [q.inW, q.inH * q.inW, 0], [paddedW, inCStride, 0]),
          load(
            inBase + ((tile.n * q.inC + ic.start) * q.inH + rows.start) * q.inW,
            regionAddr(t, 'input', b),
            [q.inW, rows.end - rows.start, ic.end - ic.start, 1],
            {
              fill: cx.zpByte(op.inputs[0]),
              lo: [q.padL, tile.padTop!, 0, 0],
              hi: [q.padR, tile.padBottom!, 0, 0],
            },
          ),
        ],
        compute: [
          ins('mac.shape', {
            inC: ic.end - ic.start,
            inH: virt,
            inW: paddedW,
            outC: oc,
            kH: q.kH,
            kW: q.kW,
            strideH: q.strideH,
            strideW: q.strideW,
            dilH: q.dilH,
            dilW: q.dilW,
            groups: q.groups > 1 ? (ic.end - ic.start) / cg : 1,
          }),
          macQuant(x, op, t, kb),
          ins('conv', {
            inAddr: regionAddr(t, 'input', b),
            weightAddr: regionAddr(t, 'weights', kb),
            outAddr: regionAddr(t, 'output', b),
            inCStride,
            outCStride,
          }),
        ],
        stores: [
          cfg(1, [q.outW, q.outH * q.outW, 0], [q.outW, outCStride, 0]),
          store(
            regionAddr(t, 'output', b),
            outBase + ((tile.n * q.outC + oc0) * q.outH + tile.y.start) * q.outW,
            [q.outW, outRows, oc, 1],
          ),
        ],
      };
    },
  };
}
