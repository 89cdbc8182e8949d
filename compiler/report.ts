// The --report JSON: per layer op, nodes, tile shape, MACs, DRAM bytes, cycles and bound; totals; placement; memory.

import type { CompileResult } from './state.js';

/** Plain JSON (no Maps or typed arrays), deterministic key order, for `npuc --report`. */
export function compileReport(r: CompileResult): Record<string, unknown> {
  return {
    layers: r.estimate.layers.map((l) => ({
      op: l.kind,
      nodes: l.nodes,
      tileShape: l.tileShape ?? null,
      tiles: l.tiles,
      macs: l.macs,
      dramBytes: l.dramBytes,
      computeCycles: l.computeCycles,
      memoryCycles: l.memoryCycles,
      cycles: l.cycles,
      bound: l.bound,
    })),
    totals: r.estimate.totals,
    placement: {
      npu: r.placement.npu.length,
      host: r.placement.host,
      segments: r.placement.segments.map((s) => ({ target: s.target, nodes: s.nodes.length })),
    },
    memory: {
      constBytes: r.memory.constBytes,
      arenaBytes: r.memory.arenaBytes,
      intermediateBytesWithoutReuse: r.memory.intermediateBytesNaive,
      totalBytes: r.memory.totalBytes,
    },
  };
}
