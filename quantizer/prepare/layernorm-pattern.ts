// Rewrites the ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div [/ Mul γ / Add β] pattern as one LayerNormalization.

import { tensor } from '../../common/tensor.js';
import {
  attrInt,
  attrInts,
  defaultOpset,
  type Graph,
  type Model,
  type Node,
} from '../../onnx/graph.js';
import { consumersOf, editableCopy, floatConst, freshName, isGraphOutput } from './graph-edit.js';

/** One value of a scalar-like float constant (any shape with one element). */
function scalarConst(g: Graph, name: string | undefined): number | undefined {
  const t = floatConst(g, name);
  return t !== undefined && t.data.length === 1 ? t.data[0] : undefined;
}

/** The reduced axes of a ReduceMean (attribute before opset 18, constant input after), or undefined. */
function reduceAxes(g: Graph, n: Node, opset: number): number[] | undefined {
  if (attrInt(n, 'keepdims', 1) !== 1) return undefined;
  if (opset < 18) return 'axes' in n.attrs ? attrInts(n, 'axes') : undefined;
  const t = g.initializers.get(n.inputs[1] ?? '');
  return t === undefined || t.dtype !== 'int64' ? undefined : Array.from(t.data, Number);
}

/** The LayerNormalization axis of trailing negative axes [-k, ..., -1] (any order), or undefined. */
function trailingAxis(axes: readonly number[]): number | undefined {
  const s = [...axes].sort((a, b) => a - b);
  if (s.length === 0 || s.at(-1) !== -1) return undefined;
  for (let i = 1; i < s.length; i++) if (s[i] !== s[i - 1] + 1) return undefined;
  return s[0];
}

const is = (n: Node | undefined, op: string): n is Node =>
  n !== undefined && n.domain === '' && n.opType === op;

export interface LayerNormRewrite {
  /** Name of the new LayerNormalization node (the pattern's first ReduceMean's name). */
  name: string;
  /** Nodes the pattern replaced. */
  replaced: number;
}

/**
 * Finds x → ReduceMean(axes) = m; d = Sub(x, m); Pow(d, 2) → ReduceMean(axes) → Add(ε) → Sqrt = s; Div(d, s),
 * optionally followed by Mul(·, γ) and Add(·, β) with constant γ, β (either operand order), where every
 * intermediate value has only the pattern's consumers. The axes must be the trailing ones, written negative
 * (torch writes [-1]). The result is LayerNormalization(x, γ, β, axis, epsilon = ε) — the same function, so the
 * tensor gets one range and one Q/DQ pair (ONNX's own function body of LayerNormalization is this pattern).
 */
export function rewriteLayerNormPatterns(model: Model): {
  model: Model;
  rewritten: LayerNormRewrite[];
} {
  const m = editableCopy(model);
  const g = m.graph;
  const opset = defaultOpset(m);
  const consumers = consumersOf(g);
  const only = (v: string, n: number): Node[] | undefined => {
    const c = consumers.get(v) ?? [];
    return c.length === n && !isGraphOutput(g, v) ? c : undefined;
  };
  const one = (v: string): Node | undefined => only(v, 1)?.[0];
  const remove = new Set<Node>();
  const rewritten: LayerNormRewrite[] = [];
  for (const mean of g.nodes) {
    if (!is(mean, 'ReduceMean') || remove.has(mean)) continue;
    const x = mean.inputs[0];
    const axes = reduceAxes(g, mean, opset);
    const axis = axes === undefined ? undefined : trailingAxis(axes);
    if (axis === undefined) continue;
    const sub = one(mean.outputs[0]);
    if (!is(sub, 'Sub') || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) continue;
    const d = sub.outputs[0];
    const dUsers = only(d, 2);
    const pow = dUsers?.find((n) => is(n, 'Pow'));
    const div = dUsers?.find((n) => is(n, 'Div'));
    if (pow === undefined || div === undefined || pow.inputs[0] !== d || div.inputs[0] !== d)
      continue;
    if (scalarConst(g, pow.inputs[1]) !== 2) continue;
    const mean2 = one(pow.outputs[0]);
    if (!is(mean2, 'ReduceMean')) continue;
    const axes2 = reduceAxes(g, mean2, opset);
    if (axes2 === undefined || trailingAxis(axes2) !== axis) continue;
    const addEps = one(mean2.outputs[0]);
    if (!is(addEps, 'Add')) continue;
    const epsIdx = addEps.inputs[0] === mean2.outputs[0] ? 1 : 0;
    const eps = scalarConst(g, addEps.inputs[epsIdx]);
    if (eps === undefined || !(eps >= 0)) continue;
    const sqrt = one(addEps.outputs[0]);
    if (!is(sqrt, 'Sqrt') || one(sqrt.outputs[0]) !== div || div.inputs[1] !== sqrt.outputs[0])
      continue;
    const nodes = [mean, sub, pow, mean2, addEps, sqrt, div];
    let y = div.outputs[0];
    let gamma: string | undefined;
    let beta: string | undefined;
    const next = one(y);
    if (is(next, 'Mul')) {
      const other = next.inputs[0] === y ? next.inputs[1] : next.inputs[0];
      if (floatConst(g, other) !== undefined) {
        gamma = other;
        nodes.push(next);
        y = next.outputs[0];
      }
    }
    const last = one(y);
    if (is(last, 'Add')) {
      const other = last.inputs[0] === y ? last.inputs[1] : last.inputs[0];
      if (floatConst(g, other) !== undefined) {
        beta = other;
        nodes.push(last);
        y = last.outputs[0];
      }
    }
    if (gamma === undefined) {
      // LayerNormalization needs a scale: ones over the normalized dims (length from β, else unknown)
      const len = floatConst(g, beta)?.data.length;
      if (len === undefined) continue;
      gamma = freshName(g, `${mean.name}_ones`);
      g.initializers.set(gamma, tensor('float32', [len], new Array<number>(len).fill(1)));
    }
    const ln: Node = {
      name: mean.name,
      opType: 'LayerNormalization',
      domain: '',
      inputs: beta === undefined ? [x, gamma] : [x, gamma, beta],
      outputs: [y],
      attrs: { axis: { type: 'int', value: axis }, epsilon: { type: 'float', value: eps } },
    };
    // the new node takes the place of the pattern's last node, so the order stays topological
    g.nodes[g.nodes.indexOf(nodes.at(-1)!)] = ln;
    for (const n of nodes.slice(0, -1)) remove.add(n);
    rewritten.push({ name: ln.name, replaced: nodes.length });
  }
  if (rewritten.length === 0) return { model, rewritten };
  g.nodes = g.nodes.filter((n) => !remove.has(n));
  dropUnusedInitializers(g);
  return { model: m, rewritten };
}

/** Removes initializers no node reads and that are not graph outputs (the pattern's constants). */
export function dropUnusedInitializers(g: Graph): void {
  const used = new Set<string>(g.nodes.flatMap((n) => n.inputs));
  for (const name of [...g.initializers.keys()])
    if (!used.has(name) && !isGraphOutput(g, name)) g.initializers.delete(name);
}
