// Codegen of data movement: Pad (DMA fill), nearest Resize (DMA row replication + vec.move), and Concat / Slice /
// Transpose as strided DRAM → SRAM → DRAM box copies (no compute: the store reads what the load wrote).

import type { Instruction } from '../../../isa/instructions.js';
import type { MoveOp, PadOp, ResizeOp } from '../../ir.js';
import { view4 } from '../../tiling/specs.js';
import { ins } from '../builder.js';
import { regionAddr, type EmitCx } from '../context.js';
import { cfg, load, rowOf, store } from '../dma.js';
import type { TiledOp } from '../schedule.js';

const MAX_DIM = 0xffff;

export function padOp(cx: EmitCx, op: PadOp): TiledOp {
  const t = cx.tilingOf(op);
  const [, c, h, w] = view4(cx.tensor(op.inputs[0]).shape);
  const [, , oh, ow] = view4(cx.tensor(op.output).shape);
  const r = op.pads.length / 2;
  const [padL, padR] = [op.pads[r - 1], op.pads[2 * r - 1]];
  const [inBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  return {
    tiles: t.tiles.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once: [],
    tile(i, b) {
      const tile = t.tiles[i];
      const rows = tile.inRows!;
      const nr = tile.y.end - tile.y.start;
      const nc = tile.c.end - tile.c.start;
      const buf = regionAddr(t, 'input', b);
      const loads: Instruction[] = [cfg(0, [w, h * w, 0], [ow, nr * ow, 0])];
      // a tile entirely inside the top / bottom padding loads nothing: one padded box of zero rows
      loads.push(
        load(
          inBase + ((tile.n * c + tile.c.start) * h + rows.start) * w,
          buf,
          [w, Math.max(0, rows.end - rows.start), nc, 1],
          {
            fill: op.value & 0xff,
            lo: [padL, tile.padTop!, 0, 0],
            hi: [padR, tile.padBottom!, 0, 0],
          },
        ),
      );
      return {
        loads,
        compute: [],
        stores: [
          cfg(1, [ow, oh * ow, 0], [ow, nr * ow, 0]),
          store(buf, outBase + ((tile.n * c + tile.c.start) * oh + tile.y.start) * ow, [
            ow,
            nr,
            nc,
            1,
          ]),
        ],
      };
    },
  };
}

/** Nearest resize by integer factors (fh, fw) on H and W: rows replicated by zero-stride DMA, columns by vec.move. */
export function resizeOp(cx: EmitCx, op: ResizeOp): TiledOp {
  const t = cx.tilingOf(op);
  const [, c, h, w] = view4(cx.tensor(op.inputs[0]).shape);
  const [, , oh, ow] = view4(cx.tensor(op.output).shape);
  const [fh, fw] = [oh / h, ow / w];
  const [inBase, outBase] = [cx.addr(op.inputs[0]), cx.addr(op.output)];
  return {
    tiles: t.tiles.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once: [],
    tile(i, b) {
      const tile = t.tiles[i];
      const nr = tile.y.end - tile.y.start;
      const nc = tile.c.end - tile.c.start;
      const [inS, outS] = [regionAddr(t, 'input', b), regionAddr(t, 'output', b)];
      // output rows [y0, y1) read input row floor(y / fh): a partial group, whole groups, a partial group
      const loads: Instruction[] = [cfg(0, [0, w, h * w], [w, fh * w, nr * w])];
      for (let y = tile.y.start; y < tile.y.end;) {
        const r = Math.floor(y / fh);
        const whole = y % fh === 0 ? Math.floor((tile.y.end - y) / fh) : 0;
        const [groups, copies] =
          whole > 0 ? [whole, fh] : [1, Math.min(tile.y.end, (r + 1) * fh) - y];
        loads.push(
          load(inBase + ((tile.n * c + tile.c.start) * h + r) * w, inS + (y - tile.y.start) * w, [
            w,
            copies,
            groups,
            nc,
          ]),
        );
        y += groups * copies;
      }
      const compute: Instruction[] = [];
      if (fw > 1) {
        compute.push(
          ins('vec.movecfg', {
            srcStride1: 0,
            srcStride2: 1,
            srcStride3: w,
            dstStride1: 1,
            dstStride2: fw,
            dstStride3: ow,
          }),
        );
        for (let r0 = 0; r0 < nc * nr; r0 += MAX_DIM) {
          const rows = Math.min(MAX_DIM, nc * nr - r0);
          compute.push(
            ins('vec.move', {
              srcAddr: inS + r0 * w,
              dstAddr: outS + r0 * ow,
              size0: 1,
              size1: fw,
              size2: w,
              size3: rows,
            }),
          );
        }
      }
      const src = fw > 1 ? outS : inS;
      return {
        loads,
        compute,
        stores: [
          cfg(1, [ow, oh * ow, 0], [ow, nr * ow, 0]),
          store(src, outBase + ((tile.n * c + tile.c.start) * oh + tile.y.start) * ow, [
            ow,
            nr,
            nc,
            1,
          ]),
        ],
      };
    },
  };
}

/** One axis of a copy: elements, and byte strides in the source and the destination. */
interface Axis {
  size: number;
  src: number;
  dst: number;
}

const stridesOf = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let k = shape.length - 2; k >= 0; k--) s[k] = s[k + 1] * shape[k + 1];
  return s;
};

/** Merges contiguous axes (innermost first); axis 0 becomes a contiguous run of at most `limit` bytes. */
function normalise(axes: Axis[], limit: number): Axis[] {
  const inner = axes.filter((a) => a.size !== 1);
  const out: Axis[] = [];
  for (const a of inner) {
    const last = out.at(-1);
    if (last !== undefined && a.src === last.src * last.size && a.dst === last.dst * last.size)
      last.size *= a.size;
    else out.push({ ...a });
  }
  if (out.length === 0 || out[0].src !== 1 || out[0].dst !== 1)
    out.unshift({ size: 1, src: 1, dst: 1 });
  if (out[0].size > Math.min(MAX_DIM, limit)) {
    const run = rowOf(out[0].size, limit);
    out.splice(
      0,
      1,
      { size: run, src: 1, dst: 1 },
      { size: out[0].size / run, src: run, dst: run },
    );
  }
  return out;
}

interface Piece {
  src: number;
  dst: number;
  sizes: [number, number, number, number];
  srcStrides: [number, number, number];
  dstStrides: [number, number, number];
}

/** Splits a copy into 4-D boxes that fit `staging` bytes of SRAM and the 16-bit sizes (outer axes are looped). */
function pieces(srcBase: number, dstBase: number, axes: Axis[], staging: number): Piece[] {
  let d = 1;
  let bytes = axes[0].size;
  while (
    d < Math.min(4, axes.length) &&
    bytes * axes[d].size <= staging &&
    axes[d].size <= MAX_DIM
  ) {
    bytes *= axes[d].size;
    d++;
  }
  const box = axes.slice(0, d);
  let rest = axes.slice(d);
  // a box with room for one more axis takes the next one in chunks
  let chunked: Axis | undefined;
  let chunk = 1;
  if (rest.length > 0 && d < 4) {
    chunked = rest[0];
    chunk = Math.max(1, Math.min(MAX_DIM, Math.floor(staging / bytes)));
    rest = rest.slice(1);
  }
  const out: Piece[] = [];
  const push = (b: Axis[], src: number, dst: number): void => {
    out.push({
      src,
      dst,
      sizes: [0, 1, 2, 3].map((j) => b[j]?.size ?? 1) as Piece['sizes'],
      srcStrides: [1, 2, 3].map((j) => b[j]?.src ?? 0) as Piece['srcStrides'],
      dstStrides: [1, 2, 3].map((j) => b[j]?.dst ?? 0) as Piece['dstStrides'],
    });
  };
  const visit = (k: number, src: number, dst: number): void => {
    if (k >= 0) {
      for (let i = 0; i < rest[k].size; i++)
        visit(k - 1, src + i * rest[k].src, dst + i * rest[k].dst);
      return;
    }
    if (chunked === undefined) {
      push(box, src, dst);
      return;
    }
    for (let s0 = 0; s0 < chunked.size; s0 += chunk)
      push(
        [...box, { ...chunked, size: Math.min(chunk, chunked.size - s0) }],
        src + s0 * chunked.src,
        dst + s0 * chunked.dst,
      );
  };
  visit(rest.length - 1, srcBase, dstBase);
  return out;
}

/** Concat, Slice, Transpose (and a non-view reshape): box copies through two SRAM staging buffers. */
export function copyOp(cx: EmitCx, op: MoveOp): TiledOp {
  const outShape = cx.tensor(op.output).shape;
  const oS = stridesOf(outShape);
  const staging = Math.floor(cx.sram / 2 / 64) * 64;
  const outBase = cx.addr(op.output);
  const list: Piece[] = [];
  const copy = (srcBase: number, dstBase: number, axes: Axis[]): void => {
    if (axes.some((a) => a.size === 0)) return;
    list.push(...pieces(srcBase, dstBase, normalise(axes.reverse(), staging), staging));
  };
  if (op.what === 'concat') {
    let offset = 0;
    for (const name of op.inputs) {
      const s = cx.tensor(name).shape;
      const iS = stridesOf(s);
      copy(
        cx.addr(name),
        outBase + offset * oS[op.axis!],
        s.map((n, j) => ({ size: n, src: iS[j], dst: oS[j] })),
      );
      offset += s[op.axis!];
    }
  } else {
    const s = cx.tensor(op.inputs[0]).shape;
    const iS = stridesOf(s);
    const perm = op.what === 'transpose' ? op.perm! : s.map((_, j) => j);
    const starts = op.what === 'slice' ? op.starts! : s.map(() => 0);
    const src = cx.addr(op.inputs[0]) + starts.reduce((acc, st, j) => acc + st * iS[j], 0);
    copy(
      src,
      outBase,
      op.what === 'reshape'
        ? [{ size: s.reduce((p, n) => p * n, 1), src: 1, dst: 1 }]
        : outShape.map((n, j) => ({ size: n, src: iS[perm[j]], dst: oS[j] })),
    );
  }
  return {
    tiles: list.length,
    blockOf: () => 0,
    blockLoads: () => [],
    once: [],
    tile(i, b) {
      const p = list[i];
      const compact: [number, number, number] = [
        p.sizes[0],
        p.sizes[0] * p.sizes[1],
        p.sizes[0] * p.sizes[1] * p.sizes[2],
      ];
      const buf = b * staging;
      return {
        loads: [cfg(0, p.srcStrides, compact), load(p.src, buf, p.sizes)],
        compute: [],
        stores: [cfg(1, p.dstStrides, compact), store(buf, p.dst, p.sizes)],
      };
    },
  };
}
