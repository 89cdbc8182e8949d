// The double-buffered tile loop every op is emitted through: DMA of tile i+1 overlaps the compute of tile i.

import type { Instruction } from '../../isa/instructions.js';
import { bit, CONFIG, ins, sync, type CodeBuilder } from './builder.js';

// Semaphores: [buffer 0, buffer 1] each. Every op returns them all to zero, so ops reuse them; BARRIER orders ops.
export const SEM = {
  inFull: [0, 1],
  inFree: [2, 3],
  outFull: [4, 5],
  outFree: [6, 7],
  constFull: [8, 9],
  constFree: [10, 11],
  barrier: 12,
} as const;

/** What one tile does; `b` is its I/O buffer (0/1), `kb` its constant buffer. */
export interface TileParts {
  /** Channel-0 loads of the tile's inputs (strides set by dma.cfg instructions in the list). */
  loads: Instruction[];
  /** MAC or vector instructions (configs first); empty: the stores read the loaded buffer directly. */
  compute: Instruction[];
  /** Channel-1 stores of the tile's output. */
  stores: Instruction[];
}

export interface TiledOp {
  tiles: number;
  /** Constant block of tile i (tiles of one block are consecutive); 0 for ops without per-block constants. */
  blockOf(i: number): number;
  /** Channel-0 loads of block k's constants into constant buffer kb; [] when the op has none. */
  blockLoads(k: number, kb: number): Instruction[];
  /** Channel-0 loads done once before the first tile (a LUT, a scalar operand). */
  once: Instruction[];
  tile(i: number, b: number, kb: number): TileParts;
}

const isConfig = (i: Instruction): boolean => CONFIG.has(i.op);

/** Ors `wait` into the first and `signal` into the last non-config instruction of a list. */
function bracket(list: Instruction[], wait: number, signal: number): Instruction[] {
  const idx = list.map((x, k) => (isConfig(x) ? -1 : k)).filter((k) => k >= 0);
  if (idx.length === 0)
    throw new Error('codegen: a tile part without an instruction to synchronize');
  const out = [...list];
  const [first, last] = [idx[0], idx[idx.length - 1]];
  out[first] = sync(out[first], wait, 0);
  out[last] = sync(out[last], 0, signal);
  return out;
}

/**
 * Emits an op. Protocol (per buffer b): load → inFull → compute → outFull → store; compute frees the input
 * (inFree) and the store frees the output (outFree) for tile i+2. Constant blocks are double-buffered the same way
 * (constFull / constFree). When `afterOp`, a `sync` waits on `barrier` before any instruction of the op is
 * dispatched (the previous op's last store: all of its SRAM regions, which overlap ours, and its DRAM output are
 * done); the op's last store signals `barrier`.
 */
export function emitTiled(cb: CodeBuilder, op: TiledOp, afterOp: boolean): void {
  // a dispatcher barrier, not a wait on the op's first DMA: the semaphores are shared by all ops, so an instruction
  // of this op queued early on another engine could take a token meant for the previous op's last consumer
  if (afterOp) cb.push(ins('sync', { wait: bit(SEM.barrier) }));
  cb.push(...op.once);
  const n = op.tiles;
  const nBlocks = op.blockOf(n - 1) + 1;
  const hasConst = op.blockLoads(0, 0).length > 0;
  for (let i = 0; i < n; i++) {
    const [b, k] = [i % 2, op.blockOf(i)];
    const kb = k % 2;
    const firstOfBlock = i === 0 || op.blockOf(i - 1) !== k;
    const lastOfBlock = i === n - 1 || op.blockOf(i + 1) !== k;
    const blockLoads = firstOfBlock ? op.blockLoads(k, kb) : [];
    if (blockLoads.length > 0)
      cb.push(...bracket(blockLoads, k >= 2 ? bit(SEM.constFree[kb]) : 0, bit(SEM.constFull[kb])));
    const t = op.tile(i, b, kb);
    const freeNext = i + 2 < n;
    cb.push(...bracket(t.loads, i >= 2 ? bit(SEM.inFree[b]) : 0, bit(SEM.inFull[b])));
    const lastSignal = i === n - 1 ? bit(SEM.barrier) : 0;
    if (t.compute.length === 0) {
      cb.push(
        ...bracket(t.stores, bit(SEM.inFull[b]), (freeNext ? bit(SEM.inFree[b]) : 0) | lastSignal),
      );
      continue;
    }
    const constWait = hasConst && firstOfBlock ? bit(SEM.constFull[kb]) : 0;
    const constFree = hasConst && lastOfBlock && k + 2 < nBlocks ? bit(SEM.constFree[kb]) : 0;
    cb.push(
      ...bracket(
        t.compute,
        bit(SEM.inFull[b]) | (i >= 2 ? bit(SEM.outFree[b]) : 0) | constWait,
        bit(SEM.outFull[b]) | (freeNext ? bit(SEM.inFree[b]) : 0) | constFree,
      ),
    );
    cb.push(
      ...bracket(t.stores, bit(SEM.outFull[b]), (freeNext ? bit(SEM.outFree[b]) : 0) | lastSignal),
    );
  }
}
