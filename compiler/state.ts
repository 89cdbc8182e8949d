// The compiler's options, the state the passes read and extend in order, and the result of compile().

import type { HwConfig } from '../isa/hw-config.js';
import type { Program } from '../isa/program-file.js';
import type { Model, ValueInfo } from '../onnx/graph.js';
import type { IoBinding, NpuGraph } from './ir.js';
import type { LayerEstimate, EstimateTotals } from './estimate-types.js';
import type { MemoryPlan } from './memory/memory-types.js';
import type { OpTiling } from './tiling/tile-types.js';

export interface CompileOptions {
  hw: HwConfig;
  requant: 'float' | 'fixed';
  cpuFallback: boolean;
  /** Values for symbolic dims (e.g. { batch: 1 }); every shape must be static after them. */
  fixedDims?: Record<string, number>;
}

/** Where each ONNX node runs; consecutive nodes on one side form a segment (in execution order). */
export interface Placement {
  npu: string[];
  host: { node: string; opType: string; reason: string }[];
  segments: { target: 'npu' | 'host'; nodes: string[] }[];
}

/** Everything the passes produce; each pass fills in its part (docs/compiler.md lists who writes what). */
export interface CompileState {
  readonly options: CompileOptions;
  model: Model;
  shapes?: Map<string, ValueInfo>;
  /** Program I/O, and the names of the boundary Q / DQ nodes the runtime applies on the host. */
  io?: { inputs: IoBinding[]; outputs: IoBinding[]; boundary: Set<string> };
  placement?: Placement;
  graph?: NpuGraph;
  tiling?: Map<number, OpTiling>;
  memory?: MemoryPlan;
  estimate?: { layers: LayerEstimate[]; totals: EstimateTotals };
  /** The encoded program (absent while host-fallback partitions cannot be emitted). */
  program?: Program;
}

export interface Pass {
  readonly name: string;
  run(state: CompileState): void;
}

export interface CompileResult {
  /** The ONNX model after import (folded, QDQ lowered): what the host fallback runs. */
  model: Model;
  graph: NpuGraph;
  placement: Placement;
  tiling: Map<number, OpTiling>;
  memory: MemoryPlan;
  estimate: { layers: LayerEstimate[]; totals: EstimateTotals };
  program?: Program;
}

/** A pass's precondition that an earlier pass must have established (a compiler bug if it fails). */
export function need<T>(value: T | undefined, what: string, pass: string): T {
  if (value === undefined) throw new Error(`compiler pass '${pass}' needs ${what}`);
  return value;
}
