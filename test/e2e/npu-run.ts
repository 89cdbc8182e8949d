// Runs a generated graph through npuc → npusim and the reference interpreter, and compares integer codes.

import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { CompileResult } from '../../compiler/state.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { Program } from '../../isa/program-file.js';
import { validateHwConfig } from '../../isa/hw-config.js';
import { runModel } from '../../reference/interpreter.js';
import { simulate } from '../../simulator/simulate.js';
import { hw } from '../compiler/compile-helpers.js';
import type { BuiltGraph } from './random-graph.js';

export type Mode = 'float' | 'fixed';
export type HwName = 'edge' | 'tiny';

/** edge (32 KiB SRAM: most graphs in one tile per op) and tiny (2 KiB: row tiles, halos, channel blocks). */
export function target(name: HwName, mode: Mode): HwConfig {
  const edge = hw('edge');
  if (name === 'edge') return validateHwConfig({ ...edge, requant: mode });
  return validateHwConfig({
    ...edge,
    name: 'tiny',
    requant: mode,
    slices: 2,
    sram: { ...edge.sram, bytesPerSlice: 1024 },
  });
}

export type NpuRun =
  | { status: 'ok'; outputs: Record<string, Tensor>; result: CompileResult }
  | { status: 'tileTooLarge' }
  | { status: 'refused'; reason: string };

/**
 * Compiles and simulates (an npusim fault throws); outputs are the raw codes of each graph output (of its
 * DequantizeLinear's input for float outputs). uint8 I/O at zero point 128 is normalised to int8 by the compiler
 * (docs/compiler.md): the runtime's job is to shift by 128 at the boundary, done here.
 */
export function runOnNpu(g: BuiltGraph, mode: Mode, hwName: HwName): NpuRun {
  const hwc = target(hwName, mode);
  let result: CompileResult;
  try {
    result = compile(g.model, { hw: hwc, requant: mode, cpuFallback: false });
  } catch (e) {
    if (e instanceof NpuError && e.id === 'tileTooLarge') return { status: 'tileTooLarge' };
    if (e instanceof NpuError && e.id === 'npuUnsupportedNodes')
      return { status: 'refused', reason: e.message };
    throw e;
  }
  const program = result.program;
  if (program === undefined) throw new Error('compile returned no program');
  return { status: 'ok', outputs: simulateCodes(g, program, hwc), result };
}

function simulateCodes(g: BuiltGraph, program: Program, hwc: HwConfig): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(g.feeds)) {
    const d = program.inputs.find((i) => i.name === name);
    feeds[name] = d?.dtype === 'int8' && t.dtype === 'uint8' ? shifted(t, 'int8', -128) : t;
  }
  const sim = simulate(program, feeds, { hw: hwc, raw: true }).outputs;
  const outputs: Record<string, Tensor> = {};
  for (const o of g.outputs) {
    const t = sim[o.name];
    if (t === undefined) throw new Error(`npusim produced no output '${o.name}'`);
    outputs[o.name] = g.dtype === 'uint8' && t.dtype === 'int8' ? shifted(t, 'uint8', 128) : t;
  }
  return outputs;
}

function shifted(t: Tensor, dtype: 'int8' | 'uint8', by: number): Tensor {
  const data = dtype === 'int8' ? new Int8Array(t.data.length) : new Uint8Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Number(t.data[i]) + by;
  return { dtype, shape: [...t.shape], data };
}

/** The reference interpreter's codes of each graph output (the integer tensor behind a float output). */
export function referenceCodes(g: BuiltGraph, mode: Mode): Record<string, Tensor> {
  const all = runModel(g.model, g.feeds, { mode, keepIntermediates: true });
  const out: Record<string, Tensor> = {};
  for (const o of g.outputs) {
    const t = all[o.codes];
    if (t === undefined) throw new Error(`reference has no value '${o.codes}'`);
    out[o.name] = t;
  }
  return out;
}

export interface Mismatch {
  output: string;
  index: number;
  expected: number;
  got: number;
  differing: number;
  count: number;
}

/** The first output element that differs (dtype and shape must agree too). */
export function firstMismatch(
  want: Record<string, Tensor>,
  got: Record<string, Tensor>,
): Mismatch | undefined {
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (g.dtype !== w.dtype || g.shape.join(',') !== w.shape.join(','))
      throw new Error(
        `output ${name}: npusim gives ${g.dtype}[${g.shape.join(',')}], reference ${w.dtype}[${w.shape.join(',')}]`,
      );
    let first: Mismatch | undefined;
    for (let i = 0; i < w.data.length; i++) {
      const [a, b] = [Number(w.data[i]), Number(g.data[i])];
      if (a === b) continue;
      first ??= { output: name, index: i, expected: a, got: b, differing: 0, count: w.data.length };
      first.differing++;
    }
    if (first !== undefined) return first;
  }
  return undefined;
}

/** Tiling patterns of a compiled graph: several tiles of one op, output-channel blocks, overlapping input rows. */
export function tilingFeatures(r: CompileResult): string[] {
  const seen = new Set<string>();
  for (const t of r.tiling.values()) {
    if (t.tiles.length > 1) seen.add('multi-tile');
    if (new Set(t.tiles.map((x) => x.c.start)).size > 1) seen.add('channel-blocks');
    for (const a of t.tiles)
      for (const b of t.tiles)
        if (
          a.n === b.n &&
          a.c.start === b.c.start &&
          a.y.end === b.y.start &&
          a.inRows !== undefined &&
          b.inRows !== undefined &&
          a.inRows.end > b.inRows.start
        )
          seen.add('halo');
  }
  return [...seen];
}
