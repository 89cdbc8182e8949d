// Shape rules of the layout ops whose result depends on constant inputs (Reshape, Slice, Pad, Resize, ...).

import type { Tensor } from '../common/tensor.js';
import { toNumbers } from '../common/tensor.js';
import type { Dim } from './graph.js';
import { attrInt, attrInts, attrString } from './graph.js';
import type { RuleCtx } from './shape-rules.js';
import { UNKNOWN, isNum, normAxis, prod } from './shape-dims.js';

const ints = (t: Tensor | undefined): number[] | undefined =>
  t === undefined ? undefined : toNumbers(t);

export function reshapeShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  const spec = c.opset >= 5 ? ints(c.value(1)) : attrInts(c.node, 'shape');
  if (spec === undefined) return undefined;
  const allowzero = attrInt(c.node, 'allowzero', 0) !== 0;
  const out: Dim[] = spec.map((s, i) => (s === 0 && !allowzero ? (x?.[i] ?? UNKNOWN) : s));
  const neg = spec.indexOf(-1);
  if (neg >= 0) {
    if (x === undefined) {
      out[neg] = UNKNOWN;
      return out;
    }
    // symbols copied through by a 0 at the same position cancel out
    const rest = x.filter((d, i) => !(spec[i] === 0 && !allowzero && !isNum(d)));
    const others = out.filter((d, i) => i !== neg && !(spec[i] === 0 && !allowzero && !isNum(d)));
    const total = prod(rest);
    const part = prod(others);
    out[neg] = isNum(total) && isNum(part) && part !== 0 ? total / part : UNKNOWN;
    if (isNum(out[neg]) && !Number.isInteger(out[neg]))
      c.mismatch(`cannot reshape [${x.join(',')}] to [${spec.join(',')}]`);
  } else if (x !== undefined) {
    const a = prod(x);
    const b = prod(out);
    if (isNum(a) && isNum(b) && a !== b)
      c.mismatch(`cannot reshape [${x.join(',')}] (${a} elements) to [${spec.join(',')}]`);
  }
  return out;
}

function axesOf(c: RuleCtx, inputIndex: number, fromInputSince: number): number[] | undefined {
  if (c.opset >= fromInputSince) return c.has(inputIndex) ? ints(c.value(inputIndex)) : [];
  return attrInts(c.node, 'axes', []);
}

export function unsqueezeShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  const axes = axesOf(c, 1, 13);
  if (x === undefined || axes === undefined) return undefined;
  const r = x.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, r)));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : x[j++]);
  return out;
}

export function squeezeShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  const axes = axesOf(c, 1, 13);
  if (x === undefined || axes === undefined) return undefined;
  if (axes.length === 0) return x.some((d) => !isNum(d)) ? undefined : x.filter((d) => d !== 1);
  const set = new Set(axes.map((a) => normAxis(a, x.length)));
  for (const a of set)
    if (isNum(x[a]) && x[a] !== 1) c.mismatch(`cannot squeeze axis ${a} of size ${x[a]}`);
  return x.filter((_, i) => !set.has(i));
}

export function sliceShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  if (x === undefined) return undefined;
  let starts: number[] | undefined,
    ends: number[] | undefined,
    axes: number[] | undefined,
    steps: number[] | undefined;
  if (c.opset >= 10) {
    [starts, ends] = [ints(c.value(1)), ints(c.value(2))];
    axes = c.has(3) ? ints(c.value(3)) : undefined;
    steps = c.has(4) ? ints(c.value(4)) : undefined;
    if ((c.has(3) && axes === undefined) || (c.has(4) && steps === undefined)) return undefined;
  } else {
    [starts, ends] = [attrInts(c.node, 'starts'), attrInts(c.node, 'ends')];
    axes = attrInts(c.node, 'axes', []);
    if (axes.length === 0) axes = undefined;
  }
  if (starts === undefined || ends === undefined) return undefined;
  const out = [...x];
  starts.forEach((s0, k) => {
    const a = normAxis(axes?.[k] ?? k, x.length);
    const d = x[a];
    const step = steps?.[k] ?? 1;
    if (!isNum(d)) {
      out[a] = UNKNOWN;
      return;
    }
    // ONNX: starts clamp to [0, d] (step > 0) or [0, d-1] (step < 0); ends to [0, d] or [-1, d-1]
    const clamp = (v: number, lo: number, hi: number): number =>
      Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const s = step > 0 ? clamp(s0, 0, d) : clamp(s0, 0, d - 1);
    const e = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1);
    out[a] =
      step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
  });
  return out;
}

export function reduceShape(c: RuleCtx, axesFromInputSince: number): Dim[] | undefined {
  const x = c.shape(0);
  const axes = axesOf(c, 1, axesFromInputSince);
  if (x === undefined || axes === undefined) return undefined;
  const keep = attrInt(c.node, 'keepdims', 1) !== 0;
  if (axes.length === 0 && attrInt(c.node, 'noop_with_empty_axes', 0) !== 0) return x;
  const set = new Set(
    axes.length === 0 ? x.map((_, i) => i) : axes.map((a) => normAxis(a, x.length)),
  );
  return keep ? x.map((d, i) => (set.has(i) ? 1 : d)) : x.filter((_, i) => !set.has(i));
}

export function resizeShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  if (x === undefined) return undefined;
  const [scalesAt, sizesAt] = c.opset >= 11 ? [2, 3] : [1, -1];
  const axes = attrInts(
    c.node,
    'axes',
    x.map((_, i) => i),
  ).map((a) => normAxis(a, x.length));
  const out = [...x];
  const sizes = sizesAt >= 0 && c.has(sizesAt) ? ints(c.value(sizesAt)) : undefined;
  if (sizes !== undefined && sizes.length > 0) {
    if (attrString(c.node, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') return undefined;
    axes.forEach((a, k) => (out[a] = sizes[k]!));
    return out;
  }
  const st = c.has(scalesAt) ? c.value(scalesAt) : undefined;
  if (st === undefined || st.data.length === 0) return undefined;
  const scales = toNumbers(st);
  axes.forEach((a, k) => {
    const d = x[a];
    out[a] = isNum(d) ? Math.floor(Math.fround(d * scales[k])) : scales[k] === 1 ? d : UNKNOWN;
  });
  return out;
}

export function padShape(c: RuleCtx): Dim[] | undefined {
  const x = c.shape(0);
  const pads = c.opset >= 11 ? ints(c.value(1)) : attrInts(c.node, 'pads');
  if (x === undefined || pads === undefined) return undefined;
  const axesT = c.opset >= 18 && c.has(3) ? ints(c.value(3)) : x.map((_, i) => i);
  if (axesT === undefined) return undefined;
  const axes = axesT.map((a) => normAxis(a, x.length));
  const out = [...x];
  axes.forEach((a, k) => {
    const d = x[a];
    out[a] = isNum(d)
      ? d + pads[k] + pads[k + axes.length]
      : pads[k] + pads[k + axes.length] === 0
        ? d
        : UNKNOWN;
  });
  return out;
}

/** Split: explicit sizes (attribute before opset 13, input after), else equal chunks (the last may be smaller). */
export function splitShapes(c: RuleCtx): (Dim[] | undefined)[] {
  const x = c.shape(0);
  const n = c.node.outputs.length;
  if (x === undefined) return new Array<undefined>(n).fill(undefined);
  const axis = normAxis(attrInt(c.node, 'axis', 0), x.length);
  const d = x[axis];
  let sizes: Dim[];
  const split = c.opset >= 13 ? (c.has(1) ? ints(c.value(1)) : []) : attrInts(c.node, 'split', []);
  if (split === undefined) sizes = new Array<Dim>(n).fill(UNKNOWN);
  else if (split.length > 0) {
    if (split.length !== n) c.mismatch(`split has ${split.length} sizes for ${n} outputs`);
    if (isNum(d) && split.reduce((a, b) => a + b, 0) !== d) {
      c.mismatch(`split sizes [${split.join(',')}] do not add up to dimension ${d}`);
    }
    sizes = split;
  } else if (isNum(d)) {
    const chunk = Math.ceil(d / n);
    sizes = Array.from({ length: n }, (_, i) => (i < n - 1 ? chunk : d - chunk * (n - 1)));
  } else sizes = new Array<Dim>(n).fill(UNKNOWN);
  return sizes.map((s) => x.map((v, i) => (i === axis ? s : v)));
}
