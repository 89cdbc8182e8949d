// What every op emitter reads: the graph, its tiling, the DRAM plan, and the SRAM regions of a tile plan.

import { sramBytes, type HwConfig } from '../../isa/hw-config.js';
import type { NpuGraph, NpuOp, TensorValue } from '../ir.js';
import { tensorOf } from '../ir.js';
import type { ConstantBlock, MemoryPlan } from '../memory/memory-types.js';
import type { OpTiling, RegionName } from '../tiling/tile-types.js';
import { alignUp, SRAM_ALIGN } from '../tiling/tile-types.js';

export class EmitCx {
  readonly sram: number;
  readonly g: NpuGraph;
  readonly hw: HwConfig;
  readonly tiling: Map<number, OpTiling>;
  readonly memory: MemoryPlan;
  private readonly placed: Map<string, number>;

  constructor(g: NpuGraph, hw: HwConfig, tiling: Map<number, OpTiling>, memory: MemoryPlan) {
    this.g = g;
    this.hw = hw;
    this.tiling = tiling;
    this.memory = memory;
    this.sram = sramBytes(hw);
    this.placed = new Map(memory.tensors.map((p) => [p.tensor, p.offset]));
  }

  tensor(name: string): TensorValue {
    return tensorOf(this.g, name);
  }

  /** DRAM address of a tensor (a view shares its source's bytes). */
  addr(name: string): number {
    const a = this.placed.get(name);
    if (a === undefined) throw new Error(`codegen: tensor '${name}' has no DRAM placement`);
    return a;
  }

  /** DRAM address of one of an op's constant blocks. */
  constAddr(op: NpuOp, what: ConstantBlock['what']): number {
    const c = this.memory.constants.find((x) => x.op === op.id && x.what === what);
    if (c === undefined) throw new Error(`codegen: op ${op.id} has no constant block '${what}'`);
    return c.offset;
  }

  tilingOf(op: NpuOp): OpTiling {
    const t = this.tiling.get(op.id);
    if (t === undefined) throw new Error(`codegen: op ${op.id} (${op.kind}) has no tiling`);
    return t;
  }

  /** The input zero point as the raw byte the DMA writes into padding. */
  zpByte(name: string): number {
    return (this.tensor(name).quant?.zp ?? 0) & 0xff;
  }
}

/** SRAM address of copy `b` of a region of a tile plan. */
export function regionAddr(t: OpTiling, name: RegionName, b = 0): number {
  const r = t.regions.find((x) => x.name === name);
  if (r === undefined) throw new Error(`codegen: no SRAM region '${name}'`);
  return r.offset + (b % r.buffers) * alignUp(r.bytes, SRAM_ALIGN);
}

/** Constant-block index of each tile: it changes with the image or the first output channel (tile order). */
export function blockIds(t: OpTiling): number[] {
  const ids: number[] = [];
  t.tiles.forEach((tile, i) => {
    const prev = t.tiles[i - 1];
    const same = prev !== undefined && prev.n === tile.n && prev.c.start === tile.c.start;
    ids.push(i === 0 ? 0 : ids[i - 1] + (same ? 0 : 1));
  });
  return ids;
}
