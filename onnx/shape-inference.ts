// Static shape inference: dtype and shape of every value, with small constant propagation for shape arithmetic.

import type { Tensor } from '../common/tensor.js';
import { sizeOf, tensor, toNumbers } from '../common/tensor.js';
import { NpuError, fail } from '../common/diagnostics.js';
import type { Dim, Model, Node, ValueInfo } from './graph.js';
import { attrInt, defaultOpset } from './graph.js';
import { kernelKey } from '../reference/kernel.js';
import { topoSort } from './topo.js';
import type { Out, RuleCtx } from './shape-rules.js';
import { SHAPE_RULES } from './shape-rules.js';
import { attrOf, constantValue, inputName, isNum, normAxis, own } from './shape-dims.js';

/** Constant values above this many elements are not propagated (shape arithmetic is tiny). */
const MAX_CONST = 1024;

const fix = (shape: Dim[] | undefined, fixed: Record<string, number>): Dim[] | undefined =>
  shape?.map((d) => (typeof d === 'string' ? (own(fixed, d) ?? d) : d));

/** Combines our inference with what the file says: ours wins, the file fills gaps. */
function merge(name: string, ours: Out | undefined, file: ValueInfo | undefined): ValueInfo {
  const v: ValueInfo = { name };
  const dtype = ours?.dtype ?? file?.dtype;
  if (dtype !== undefined) v.dtype = dtype;
  let shape = ours?.shape ?? file?.shape;
  if (
    ours?.shape !== undefined &&
    file?.shape !== undefined &&
    file.shape.length === ours.shape.length
  ) {
    const fs = file.shape;
    shape = ours.shape.map((d, i) => (isNum(d) ? d : isNum(fs[i]) ? fs[i] : d));
  }
  if (shape !== undefined) v.shape = [...shape];
  return v;
}

const int64 = (shape: number[], vals: number[]): Tensor =>
  tensor(
    'int64',
    shape,
    vals.map((v) => BigInt(v)),
  );

/** Evaluates the integer shape-arithmetic ops on constant inputs (the Shape -> Gather -> Concat -> Reshape idiom). */
function evalConst(
  node: Node,
  vals: (Tensor | undefined)[],
  out: ValueInfo | undefined,
  inShape: Dim[] | undefined,
): Tensor | undefined {
  const shape = out?.shape;
  const known = shape !== undefined && shape.every(isNum) ? shape : undefined;
  const v0 = vals[0];
  const isInt = (t: Tensor | undefined): t is Tensor =>
    t !== undefined && (t.dtype === 'int64' || t.dtype === 'int32');
  switch (node.opType) {
    case 'Constant':
      return constantValue(node);
    case 'Shape': {
      if (inShape === undefined || !inShape.every(isNum)) return undefined;
      const r = inShape.length;
      const cl = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = inShape.slice(cl(attrInt(node, 'start', 0)), cl(attrInt(node, 'end', r)));
      return int64([s.length], s);
    }
    case 'Size':
      return inShape !== undefined && inShape.every(isNum)
        ? int64([], [sizeOf(inShape)])
        : undefined;
    case 'ConstantOfShape': {
      const v = attrOf(node, 'value');
      const fill = v?.type === 'tensor' ? v.value : tensor('float32', [1], [0]);
      if (known === undefined || sizeOf(known) > MAX_CONST || fill.data.length !== 1)
        return undefined;
      const n = sizeOf(known);
      const x = fill.data[0];
      return tensor(
        fill.dtype,
        known,
        typeof x === 'bigint' ? new Array<bigint>(n).fill(x) : new Array<number>(n).fill(x),
      );
    }
    case 'Identity':
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Reshape':
    case 'Flatten':
      return isInt(v0) && known !== undefined
        ? { dtype: v0.dtype, shape: known, data: v0.data }
        : undefined;
    case 'Cast':
      return isInt(v0) &&
        known !== undefined &&
        out?.dtype !== undefined &&
        (out.dtype === 'int64' || out.dtype === 'int32')
        ? tensor(
            out.dtype,
            known,
            out.dtype === 'int64' ? toNumbers(v0).map(BigInt) : toNumbers(v0),
          )
        : undefined;
    case 'Neg':
      return isInt(v0)
        ? tensor(
            v0.dtype,
            v0.shape,
            v0.dtype === 'int64'
              ? toNumbers(v0).map((x) => BigInt(-x))
              : toNumbers(v0).map((x) => -x),
          )
        : undefined;
    case 'Concat':
      if (!vals.every(isInt) || known === undefined || known.length !== 1) return undefined;
      return int64(
        known,
        vals.flatMap((t) => toNumbers(t)),
      );
    case 'Gather': {
      const idx = vals[1];
      if (!isInt(v0) || !isInt(idx) || v0.shape.length !== 1 || known === undefined)
        return undefined;
      const d = toNumbers(v0);
      return tensor(
        v0.dtype,
        known,
        toNumbers(idx).map((i) => d[normAxis(i, d.length)]),
      );
    }
    case 'Slice': {
      if (
        !isInt(v0) ||
        v0.shape.length !== 1 ||
        known === undefined ||
        vals.slice(1).some((t) => t !== undefined && !isInt(t))
      )
        return undefined;
      const d = toNumbers(v0);
      const [s0, e0, , st] = [vals[1], vals[2], vals[3], vals[4]].map((t) =>
        t === undefined ? undefined : toNumbers(t)[0],
      );
      const step = st ?? 1;
      if (s0 === undefined || e0 === undefined || step <= 0) return undefined;
      const s = Math.min(Math.max(s0 < 0 ? s0 + d.length : s0, 0), d.length);
      const r: number[] = [];
      for (let i = s; r.length < known[0]; i += step) r.push(d[i]);
      return tensor(v0.dtype, known, v0.dtype === 'int64' ? r.map(BigInt) : r);
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const v1 = vals[1];
      if (!isInt(v0) || !isInt(v1) || known === undefined || v0.dtype !== v1.dtype)
        return undefined;
      const [a, b] = [toNumbers(v0), toNumbers(v1)];
      const n = sizeOf(known);
      if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1))
        return undefined;
      const f = {
        Add: (x: number, y: number) => x + y,
        Sub: (x: number, y: number) => x - y,
        Mul: (x: number, y: number) => x * y,
        Div: (x: number, y: number) => Math.trunc(x / y),
      }[node.opType];
      const r = Array.from({ length: n }, (_, i) =>
        f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]),
      );
      return tensor(v0.dtype, known, v0.dtype === 'int64' ? r.map(BigInt) : r);
    }
    default:
      return undefined;
  }
}

/**
 * Infers dtype and shape of every value of the top-level graph (inputs, initializers, node outputs).
 * `fixedDims` replaces symbolic dims by numbers (e.g. { batch: 1 }). Unknown ops leave their outputs unknown
 * (or as the file's value_info says); a real inconsistency is a shapeMismatch naming the node.
 */
export function inferShapes(
  model: Model,
  fixedDims: Record<string, number> = {},
): Map<string, ValueInfo> {
  const g = model.graph;
  const opset = defaultOpset(model);
  const infos = new Map<string, ValueInfo>();
  const consts = new Map<string, Tensor>();
  const fileInfo = new Map<string, ValueInfo>();
  for (const v of [...g.valueInfo.values(), ...g.outputs]) {
    const f: ValueInfo = { ...v };
    const s = fix(v.shape, fixedDims);
    if (s !== undefined) f.shape = s;
    fileInfo.set(v.name, f);
  }
  for (const v of g.inputs) {
    const s = fix(v.shape, fixedDims);
    infos.set(v.name, s === undefined ? { ...v } : { ...v, shape: s });
  }
  for (const [name, t] of g.initializers) {
    infos.set(name, { name, dtype: t.dtype, shape: [...t.shape] });
    consts.set(name, t);
  }
  for (const node of topoSort(g)) {
    const get = (i: number): ValueInfo | undefined => {
      const n = inputName(node, i);
      return n === undefined ? undefined : infos.get(n);
    };
    const ctx: RuleCtx = {
      node,
      opset,
      dtype: (i) => get(i)?.dtype,
      shape: (i) => get(i)?.shape,
      value: (i) => {
        const n = inputName(node, i);
        return n === undefined ? undefined : consts.get(n);
      },
      has: (i) => (node.inputs[i] ?? '') !== '',
      mismatch: (msg) => fail('shapeMismatch', [msg], { node: node.name, opType: node.opType }),
    };
    const rule = own(SHAPE_RULES, kernelKey(node.domain, node.opType));
    let outs: (Out | undefined)[] = [];
    if (rule !== undefined) {
      try {
        outs = rule(ctx);
      } catch (e) {
        if (e instanceof NpuError)
          e.at({
            node: node.name,
            opType: node.opType,
            ...(model.file !== undefined ? { file: model.file } : {}),
          });
        throw e;
      }
    }
    const infosOut = node.outputs.map((name, i) => merge(name, outs[i], fileInfo.get(name)));
    node.outputs.forEach((name, i) => name !== '' && infos.set(name, infosOut[i]));
    const vals = node.inputs.map((n) => (n === '' ? undefined : consts.get(n)));
    const fitsConst = vals.every(
      (t, i) => node.inputs[i] === '' || (t !== undefined && t.data.length <= MAX_CONST),
    );
    if (
      node.domain === '' &&
      (fitsConst || node.opType === 'Shape' || node.opType === 'Size') &&
      node.outputs.length > 0
    ) {
      const c = evalConst(node, vals, infosOut[0], get(0)?.shape);
      if (c !== undefined && c.data.length <= MAX_CONST) consts.set(node.outputs[0], c);
    }
  }
  return infos;
}
