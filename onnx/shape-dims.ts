// Dimension arithmetic for static shape inference: numbers where known, symbolic names kept, '?' when unknowable.

import type { Tensor } from '../common/tensor.js';
import { tensor } from '../common/tensor.js';
import type { Attr, Dim, Node } from './graph.js';

export const UNKNOWN: Dim = '?';

export const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

/** Product of dims: a number if all known; a lone symbol times ones stays that symbol. */
export function prod(dims: readonly Dim[]): Dim {
  let n = 1;
  let sym: Dim | undefined;
  for (const d of dims) {
    if (isNum(d)) n *= d;
    else if (sym === undefined) sym = d;
    else return UNKNOWN;
  }
  if (sym === undefined) return n;
  return n === 1 ? sym : n === 0 ? 0 : UNKNOWN;
}

export const sum = (dims: readonly Dim[]): Dim =>
  dims.every(isNum) ? dims.reduce((a, b) => a + b, 0) : UNKNOWN;

/** Two dims that must be equal: the known one wins; undefined when both are known and differ. */
export function unify(a: Dim, b: Dim): Dim | undefined {
  if (isNum(a) && isNum(b)) return a === b ? a : undefined;
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return a === b ? a : UNKNOWN;
}

/** numpy broadcasting of two dims; undefined when they cannot broadcast. */
function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === 1) return b;
  if (b === 1) return a;
  if (isNum(a) && isNum(b)) return a === b ? a : undefined;
  if (isNum(a)) return a; // a symbol must be 1 or a: the result is a either way
  if (isNum(b)) return b;
  return a === b ? a : UNKNOWN;
}

/** numpy broadcasting of shapes; undefined when they cannot broadcast. */
export function broadcast(shapes: readonly (readonly Dim[])[]): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array<Dim>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = broadcastDim(out[j], s[i]);
      if (d === undefined) return undefined;
      out[j] = d;
    }
  }
  return out;
}

export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export interface WindowParams {
  kernel: number[];
  strides: number[];
  /** [begin..., end...] */
  pads: number[];
  dilations: number[];
  autoPad: string;
  ceil: boolean;
}

/** Output size of a conv/pool window along each spatial axis (ONNX formulas, ORT's ceil_mode correction). */
export function windowOut(spatial: readonly Dim[], p: WindowParams): Dim[] {
  const r = spatial.length;
  return spatial.map((d, i) => {
    if (!isNum(d)) return UNKNOWN;
    const s = p.strides[i] ?? 1;
    const ek = ((p.kernel[i] ?? 1) - 1) * (p.dilations[i] ?? 1) + 1;
    if (p.autoPad === 'SAME_UPPER' || p.autoPad === 'SAME_LOWER') return Math.ceil(d / s);
    // VALID is zero padding, ceil_mode still applies (as in onnxruntime)
    const valid = p.autoPad === 'VALID';
    const pb = valid ? 0 : (p.pads[i] ?? 0);
    const total = d + pb + (valid ? 0 : (p.pads[i + r] ?? 0)) - ek;
    if (!p.ceil) return Math.floor(total / s) + 1;
    let out = Math.ceil(total / s) + 1;
    // the last window must start inside the input or the leading padding
    if ((out - 1) * s >= d + pb) out--;
    return out;
  });
}

/** An own property of a lookup table (never an Object.prototype member such as 'toString'). */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A node attribute, or undefined when absent. */
export const attrOf = (node: Node, name: string): Attr | undefined => own(node.attrs, name);

/** The name of input i, or undefined when it is omitted ('') or past the end. */
export function inputName(node: Node, i: number): string | undefined {
  if (i >= node.inputs.length) return undefined;
  const n = node.inputs[i];
  return n === '' ? undefined : n;
}

/** The value of a Constant node (value, value_int(s), value_float(s)); undefined for other forms. */
export function constantValue(node: Node): Tensor | undefined {
  const v = attrOf(node, 'value');
  if (v?.type === 'tensor') return v.value;
  const i = attrOf(node, 'value_int');
  if (i?.type === 'int') return tensor('int64', [], [BigInt(i.value)]);
  const is = attrOf(node, 'value_ints');
  if (is?.type === 'ints') return tensor('int64', [is.value.length], is.value.map(BigInt));
  const f = attrOf(node, 'value_float');
  if (f?.type === 'float') return tensor('float32', [], [f.value]);
  const fs = attrOf(node, 'value_floats');
  if (fs?.type === 'floats') return tensor('float32', [fs.value.length], fs.value);
  return undefined;
}
