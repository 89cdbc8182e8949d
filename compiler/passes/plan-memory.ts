// Pass: DRAM addresses: constants image, inputs, outputs, intermediates reused by liveness; views alias their source.

import { fail } from '../../common/diagnostics.js';
import { DTYPE_BYTES, sizeOf } from '../../common/tensor.js';
import type { NpuGraph, NpuOp } from '../ir.js';
import { opOutputs } from '../ir.js';
import { allocateIntervals, type LiveBuffer } from '../memory/interval-alloc.js';
import type { ConstantBlock, MemoryPlan, TensorPlacement } from '../memory/memory-types.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';
import { alignUp } from '../tiling/tile-types.js';

/** DRAM alignment: one burst, so every tensor and constant block starts a DMA run on a burst boundary. */
export const DRAM_ALIGN = 64;

/** The constant blocks of one op, in a fixed order (weights, bias, requant, lut). */
function constantsOf(op: NpuOp): [ConstantBlock['what'], number][] {
  if (op.kind === 'conv' || op.kind === 'gemm') {
    const e = op.epilogue;
    const channels = e.realMultiplier.length;
    const w = op.kind === 'conv' ? op.weight.length : op.weightT.length;
    const out: [ConstantBlock['what'], number][] = [['weights', w]];
    if (e.bias !== undefined) out.push(['bias', 4 * channels]);
    out.push(['requant', (e.requant.mode === 'float' ? 4 : 8) * channels]);
    if (e.activation.act === 'lut') out.push(['lut', 256]);
    return out;
  }
  // the act × act matmul's one multiplier is repeated per column (mac.quant indexes the table by column)
  if (op.kind === 'matmul')
    return [['requant', (op.epilogue.requant.mode === 'float' ? 4 : 8) * op.n]];
  if (op.kind === 'ibert') return [['params', op.params.length]];
  if ((op.kind === 'add' || op.kind === 'mul') && op.constB !== undefined)
    return [['operand', op.constB.data.length]];
  return op.kind === 'lut' ? [['lut', 256]] : [];
}

export function planMemory(g: NpuGraph): MemoryPlan {
  // constant image
  const constants: ConstantBlock[] = [];
  let offset = 0;
  for (const op of g.ops)
    for (const [what, bytes] of constantsOf(op)) {
      constants.push({ op: op.id, what, offset, bytes });
      offset = alignUp(offset + bytes, DRAM_ALIGN);
    }
  const constBytes = offset;

  // alias classes: a view's output is its input's bytes
  const root = new Map<string, string>();
  const rootOf = (t: string): string => (root.has(t) ? rootOf(root.get(t)!) : t);
  for (const op of g.ops)
    if (op.kind === 'move' && op.view) root.set(op.output, rootOf(op.inputs[0]));

  // liveness per root: first definition to last use (program outputs live to the end)
  const live = new Map<string, [number, number]>();
  const touch = (t: string, step: number): void => {
    const r = rootOf(t);
    const l = live.get(r);
    live.set(r, l === undefined ? [step, step] : [Math.min(l[0], step), Math.max(l[1], step)]);
  };
  g.ops.forEach((op, step) => {
    for (const i of op.inputs) touch(i, step);
    for (const o of opOutputs(op)) touch(o, step);
  });
  const last = g.ops.length;
  const bytesOf = (t: string): number => {
    const v = g.tensors.get(t)!;
    return sizeOf(v.shape) * DTYPE_BYTES[v.dtype];
  };
  const regionOf = (r: string): TensorPlacement['region'] => {
    const members = [...g.tensors.keys()].filter((t) => rootOf(t) === r);
    if (members.some((t) => g.tensors.get(t)!.kind === 'input')) return 'input';
    if (members.some((t) => g.tensors.get(t)!.kind === 'output')) return 'output';
    return 'intermediate';
  };

  const roots = [...new Set([...g.tensors.keys()].map(rootOf))].sort();
  const placements = new Map<string, TensorPlacement>();
  for (const region of ['input', 'output'] as const) {
    for (const r of roots.filter((x) => regionOf(x) === region)) {
      placements.set(r, {
        tensor: r,
        region,
        offset,
        bytes: bytesOf(r),
        live: region === 'input' ? [0, live.get(r)?.[1] ?? last] : [live.get(r)?.[0] ?? 0, last],
      });
      offset = alignUp(offset + bytesOf(r), DRAM_ALIGN);
    }
  }
  const inter: LiveBuffer[] = roots
    .filter((r) => regionOf(r) === 'intermediate')
    .map((r) => ({
      id: r,
      size: bytesOf(r),
      start: live.get(r)?.[0] ?? 0,
      end: live.get(r)?.[1] ?? 0,
    }));
  const arena = allocateIntervals(inter, DRAM_ALIGN);
  const arenaBase = offset;
  for (const b of inter)
    placements.set(b.id, {
      tensor: b.id,
      region: 'intermediate',
      offset: arenaBase + arena.offsets.get(b.id)!,
      bytes: b.size,
      live: [b.start, b.end],
    });

  const tensors: TensorPlacement[] = [];
  for (const t of [...g.tensors.keys()].sort()) {
    const p = placements.get(rootOf(t))!;
    tensors.push(rootOf(t) === t ? p : { ...p, tensor: t, bytes: bytesOf(t), aliasOf: rootOf(t) });
  }
  return {
    constants,
    constBytes,
    tensors,
    intermediateBytesNaive: inter.reduce((s, b) => s + alignUp(b.size, DRAM_ALIGN), 0),
    arenaBytes: arena.total,
    totalBytes: arenaBase + arena.total,
  };
}

export const planMemoryPass: Pass = {
  name: 'plan-memory',
  run(s) {
    const plan = planMemory(need(s.graph, 'the NPU graph', 'plan-memory'));
    if (plan.totalBytes > s.options.hw.dram.sizeBytes)
      fail('dramTooSmall', [plan.totalBytes, s.options.hw.dram.sizeBytes]);
    s.memory = plan;
  },
};
