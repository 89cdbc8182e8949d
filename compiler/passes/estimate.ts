// Pass: a first-order estimate per layer: MACs, DRAM bytes, cycles = max(compute, memory), and which one bounds it.

import { sizeOf } from '../../common/tensor.js';
import { macsPerCycle } from '../../isa/hw-config.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { LayerEstimate } from '../estimate-types.js';
import type { NpuGraph, NpuOp } from '../ir.js';
import { tensorOf } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';
import type { OpTiling } from '../tiling/tile-types.js';

/** Multiply-accumulates of a MAC op (conv: per output element Cg·kH·kW; gemm: m·n·k). */
export function macsOf(op: NpuOp): number {
  if (op.kind === 'conv') {
    const q = op.geom;
    return q.batch * q.outC * q.outH * q.outW * (q.inC / q.groups) * q.kH * q.kW;
  }
  if (op.kind === 'matmul') return op.batch * op.m * op.n * op.k;
  return op.kind === 'gemm' ? op.m * op.n * op.k : 0;
}

/** Vector-engine element operations (pools read every tap of their window). */
function vectorOps(g: NpuGraph, op: NpuOp): number {
  const out = sizeOf(tensorOf(g, op.output).shape);
  if (op.kind === 'pool')
    return op.pool === 'gavg'
      ? sizeOf(tensorOf(g, op.inputs[0]).shape)
      : out * op.geom.kH * op.geom.kW;
  return out;
}

export function estimateLayer(
  g: NpuGraph,
  op: NpuOp,
  t: OpTiling | undefined,
  hw: HwConfig,
): LayerEstimate {
  const macs = macsOf(op);
  const base = {
    op: op.id,
    kind: op.kind,
    nodes: [...op.nodes],
    tiles: t?.tiles.length ?? 0,
    macs,
    dramBytes: t?.dramBytes ?? 0,
  };
  if (op.kind === 'host' || t === undefined)
    return {
      ...base,
      computeCycles: 0,
      memoryCycles: 0,
      cycles: 0,
      bound: op.kind === 'host' ? 'host' : 'free',
    };
  const computeCycles =
    op.kind === 'conv' || op.kind === 'gemm' || op.kind === 'matmul'
      ? Math.ceil(macs / macsPerCycle(hw))
      : Math.ceil(vectorOps(g, op) / (hw.slices * hw.vector.lanesPerSlice));
  const bytesPerCycle = (hw.dram.gbps * 1e3) / hw.clockMhz;
  // ops run one after another behind a barrier: the first tile's load and the last tile's store are not hidden
  // by double buffering, two DRAM latencies per op
  const memoryCycles = Math.ceil(base.dramBytes / bytesPerCycle) + 2 * hw.dram.latencyCycles;
  // double buffering overlaps the DMA of one tile with the compute of another; the pipeline's fill and drain
  // (the first load, the last store) are not hidden: about one tile's worth of the smaller side
  const tiles = Math.max(1, t.tiles.length);
  const cycles =
    Math.max(computeCycles, memoryCycles) +
    Math.ceil(Math.min(computeCycles, memoryCycles) / tiles);
  return {
    ...base,
    tileShape: t.tileShape,
    computeCycles,
    memoryCycles,
    cycles,
    bound: computeCycles >= memoryCycles ? 'compute' : 'memory',
  };
}

export const estimatePass: Pass = {
  name: 'estimate',
  run(s) {
    const g = need(s.graph, 'the NPU graph', 'estimate');
    const tiling = need(s.tiling, 'tiling', 'estimate');
    const hw = s.options.hw;
    const layers = g.ops.map((op) => estimateLayer(g, op, tiling.get(op.id), hw));
    const macs = layers.reduce((a, l) => a + l.macs, 0);
    const cycles = layers.reduce((a, l) => a + l.cycles, 0);
    s.estimate = {
      layers,
      totals: {
        macs,
        dramBytes: layers.reduce((a, l) => a + l.dramBytes, 0),
        cycles,
        macUtilisation: cycles === 0 ? 0 : macs / (cycles * macsPerCycle(hw)),
        microseconds: cycles / hw.clockMhz,
      },
    };
  },
};
