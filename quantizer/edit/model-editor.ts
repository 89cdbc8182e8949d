// Model editing at the graph boundary (the incumbent's ModelEditor): integer graph inputs and outputs for QDQ models.

import { fail } from '../../common/diagnostics.js';
import { tensor, type Tensor } from '../../common/tensor.js';
import type { Graph, Model, Node } from '../../onnx/graph.js';
import { dequantizeValue, quantizeValue } from '../../reference/quant/lut.js';
import { consumersOf, editableCopy, freshName, producersOf } from '../prepare/graph-edit.js';

export type IoType = 'int8' | 'uint8';

export interface IoTypeOptions {
  /** Type of every quantized float graph input after the edit (its QuantizeLinear is removed). */
  inputType?: IoType;
  /** Type of every quantized float graph output after the edit (its DequantizeLinear is removed). */
  outputType?: IoType;
  /** Only these inputs / outputs (default: all float inputs / outputs). */
  inputs?: readonly string[];
  outputs?: readonly string[];
}

/** What one boundary tensor became: feed / read integer codes q with value (q − zeroPoint) · scale. */
export interface IoEdit {
  tensor: string;
  kind: 'input' | 'output';
  dtype: IoType;
  scale: number;
  zeroPoint: number;
  /**
   * The model's own tensor has the other 8-bit type: a DequantizeLinear → QuantizeLinear pair with the zero point
   * shifted by 128 converts the codes (u = q + 128), exactly.
   */
  converted: boolean;
}

export interface IoEditResult {
  model: Model;
  edits: IoEdit[];
}

const RANGE: Record<IoType, readonly [number, number]> = { int8: [-128, 127], uint8: [0, 255] };
const SHIFT: Record<IoType, number> = { int8: -128, uint8: 128 };

interface QParamsOf {
  scale: number;
  zeroPoint: number;
  dtype: IoType;
}

/** Per-tensor scale and zero point of a QuantizeLinear / DequantizeLinear from initializers. */
function paramsOf(g: Graph, n: Node, where: string): QParamsOf {
  const s = g.initializers.get(n.inputs[1] ?? '');
  const zpName = n.inputs[2] ?? '';
  const z: Tensor | undefined =
    zpName === '' ? tensor('uint8', [], [0]) : g.initializers.get(zpName);
  if (s === undefined || z === undefined)
    fail('unsupported', [`${where}: the scale and zero point of ${n.name} are not constants`]);
  if (s.data.length !== 1 || z.data.length !== 1)
    fail('unsupported', [
      `${where}: ${n.name} is quantized per axis; only per-tensor is supported`,
    ]);
  if (z.dtype !== 'int8' && z.dtype !== 'uint8')
    fail('unsupported', [
      `${where}: ${n.name} quantizes to ${z.dtype}; only int8 / uint8 can be edited`,
    ]);
  return { scale: Number(s.data[0]), zeroPoint: Number(z.data[0]), dtype: z.dtype };
}

/**
 * Whether dequantizing every code of `from` with (scale, zp) and quantizing the result with (scale, zp + shift) in
 * `to` gives code + shift, in float32 as ONNX, onnxruntime and the reference compute it. It does for every normal
 * scale (|k·s| has relative error ≤ 2⁻²⁴, so fround(fround(k·s)/s) is within 256·2⁻²³ of k and rounds back to k);
 * the check makes that proof unnecessary and rejects what it does not cover (k·s overflowing float32).
 */
export function shiftIsExact(scale: number, zeroPoint: number, from: IoType, to: IoType): boolean {
  const shift = SHIFT[to];
  const [lo, hi] = RANGE[from];
  const [toLo, toHi] = RANGE[to];
  for (let q = lo; q <= hi; q++) {
    const x = dequantizeValue(q, scale, zeroPoint);
    if (quantizeValue(x, scale, zeroPoint + shift, toLo, toHi) !== q + shift) return false;
  }
  return true;
}

/** Replaces every read of `from` (node inputs, graph outputs) with `to`. */
function renameUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  for (const o of g.outputs) if (o.name === from) o.name = to;
}

function shiftedZeroPoint(g: Graph, base: string, p: QParamsOf, to: IoType): string {
  const name = freshName(g, `${base}_zero_point_${to}`);
  g.initializers.set(name, tensor(to, [], [p.zeroPoint + SHIFT[to]]));
  return name;
}

function checkShift(p: QParamsOf, to: IoType, where: string): void {
  if (!shiftIsExact(p.scale, p.zeroPoint, p.dtype, to))
    fail('unsupported', [
      `${where}: converting ${p.dtype} to ${to} with scale ${p.scale} is not exact in float32`,
    ]);
}

/** Graph input `name` (float) becomes the integer tensor its QuantizeLinear wrote. */
function convertInput(g: Graph, name: string, to: IoType): IoEdit {
  const where = `input '${name}'`;
  const info = g.inputs.find((i) => i.name === name);
  if (info === undefined) fail('badArgument', [`${where} is not a graph input`]);
  const readers = consumersOf(g).get(name) ?? [];
  const q = readers.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === name);
  if (q === undefined)
    fail('unsupported', [`${where} is not quantized (no QuantizeLinear reads it)`]);
  const other = readers.find((n) => n !== q);
  if (other !== undefined)
    fail('unsupported', [
      `${where} is also read in float by ${other.name} (${other.opType}); it cannot become an integer tensor`,
    ]);
  const p = paramsOf(g, q, where);
  info.dtype = to;
  g.valueInfo.delete(name);
  if (p.dtype === to) {
    // the QuantizeLinear goes; its readers take the integer input directly
    g.nodes = g.nodes.filter((n) => n !== q);
    g.valueInfo.delete(q.outputs[0]);
    renameUses(g, q.outputs[0], name);
    return { tensor: name, kind: 'input', dtype: to, ...scaleZp(p, 0), converted: false };
  }
  checkShift({ ...p, dtype: to, zeroPoint: p.zeroPoint + SHIFT[to] }, p.dtype, where);
  const zp = shiftedZeroPoint(g, name, p, to);
  const x = freshName(g, `${name}_dequantized`);
  const dq: Node = {
    name: freshName(g, `${name}_DequantizeLinear_${to}`),
    opType: 'DequantizeLinear',
    domain: '',
    inputs: [name, q.inputs[1], zp],
    outputs: [x],
    attrs: {},
  };
  q.inputs[0] = x;
  g.nodes = [dq, ...g.nodes];
  return { tensor: name, kind: 'input', dtype: to, ...scaleZp(p, SHIFT[to]), converted: true };
}

/** Graph output `name` (float) becomes the integer tensor its DequantizeLinear read. */
function convertOutput(g: Graph, name: string, to: IoType): IoEdit {
  const where = `output '${name}'`;
  const info = g.outputs.find((o) => o.name === name);
  if (info === undefined) fail('badArgument', [`${where} is not a graph output`]);
  const dq = producersOf(g).get(name);
  if (dq?.opType !== 'DequantizeLinear')
    fail('unsupported', [
      `${where} is not quantized (written by ${dq === undefined ? 'no node' : `${dq.name} (${dq.opType})`}, not a DequantizeLinear)`,
    ]);
  const p = paramsOf(g, dq, where);
  const internal = (consumersOf(g).get(name) ?? []).length > 0;
  info.dtype = to;
  g.valueInfo.delete(name);
  if (p.dtype === to && !internal) {
    // the DequantizeLinear goes; the integer tensor takes the output's name
    const q = dq.inputs[0];
    g.nodes = g.nodes.filter((n) => n !== dq);
    for (const n of g.nodes) n.outputs = n.outputs.map((o) => (o === q ? name : o));
    g.valueInfo.delete(q);
    renameUses(g, q, name);
    return { tensor: name, kind: 'output', dtype: to, ...scaleZp(p, 0), converted: false };
  }
  // keep the DequantizeLinear for the float readers (or for the conversion) under a new name
  const x = freshName(g, `${name}_dequantized`);
  dq.outputs[0] = x;
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === name ? x : i));
  if (p.dtype === to) {
    const q = dq.inputs[0];
    for (const n of g.nodes) n.outputs = n.outputs.map((o) => (o === q ? name : o));
    renameUses(g, q, name);
    return { tensor: name, kind: 'output', dtype: to, ...scaleZp(p, 0), converted: false };
  }
  checkShift(p, to, where);
  const zp = shiftedZeroPoint(g, name, p, to);
  const at = g.nodes.indexOf(dq) + 1;
  g.nodes.splice(at, 0, {
    name: freshName(g, `${name}_QuantizeLinear_${to}`),
    opType: 'QuantizeLinear',
    domain: '',
    inputs: [x, dq.inputs[1], zp],
    outputs: [name],
    attrs: {},
  });
  return { tensor: name, kind: 'output', dtype: to, ...scaleZp(p, SHIFT[to]), converted: true };
}

const scaleZp = (p: QParamsOf, shift: number): { scale: number; zeroPoint: number } => ({
  scale: p.scale,
  zeroPoint: p.zeroPoint + shift,
});

/**
 * Furiosa's `convert_input_type` / `convert_output_type` for a QDQ model: a float graph input whose only reader is
 * a QuantizeLinear becomes that integer tensor (the QuantizeLinear is removed), and a float graph output written by
 * a DequantizeLinear becomes the integer tensor it reads (the DequantizeLinear is removed). Names stay. When the
 * requested 8-bit type differs from the model's, the boundary keeps an exact DequantizeLinear → QuantizeLinear
 * conversion with the zero point shifted by 128, so every other node, and what runtimes fuse, is unchanged.
 * The input model is not modified.
 */
export function editIoTypes(model: Model, opts: IoTypeOptions): IoEditResult {
  const m = editableCopy(model);
  const g = m.graph;
  const edits: IoEdit[] = [];
  const isFloat = (dtype: string | undefined): boolean =>
    dtype === undefined || dtype === 'float32';
  if (opts.inputType !== undefined) {
    const names =
      opts.inputs ??
      g.inputs.filter((i) => !g.initializers.has(i.name) && isFloat(i.dtype)).map((i) => i.name);
    for (const name of names) edits.push(convertInput(g, name, opts.inputType));
  }
  if (opts.outputType !== undefined) {
    const names = opts.outputs ?? g.outputs.filter((o) => isFloat(o.dtype)).map((o) => o.name);
    for (const name of names) edits.push(convertOutput(g, name, opts.outputType));
  }
  return { model: m, edits };
}
