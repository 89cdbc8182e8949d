// Rewrites the exact GELU pattern x·0.5·(1 + Erf(x/√2)) (torch's export before opset 20) as one Gelu node.

import { inferShapes } from '../../onnx/shape-inference.js';
import { defaultOpset, type Graph, type Model, type Node } from '../../onnx/graph.js';
import { dropUnusedInitializers } from './layernorm-pattern.js';
import { consumersOf, editableCopy, floatConst, isGraphOutput } from './graph-edit.js';

/** onnxruntime's contrib domain: its Gelu is the exact (erf) GELU and runs at any default opset. */
export const MS_DOMAIN = 'com.microsoft';

function scalarConst(g: Graph, name: string | undefined): number | undefined {
  const t = floatConst(g, name);
  return t !== undefined && t.data.length === 1 ? t.data[0] : undefined;
}

const near = (v: number | undefined, want: number): boolean =>
  v !== undefined && Math.abs(v - want) <= 1e-4 * Math.abs(want);

const is = (n: Node | undefined, op: string): n is Node =>
  n !== undefined && n.domain === '' && n.opType === op;

/** The operand of a binary node that is not `v` (undefined if neither or both are `v`). */
function other(n: Node, v: string): string | undefined {
  if (n.inputs.length !== 2 || n.inputs[0] === n.inputs[1]) return undefined;
  if (n.inputs[0] === v) return n.inputs[1];
  if (n.inputs[1] === v) return n.inputs[0];
  return undefined;
}

/**
 * Finds Div(x, √2) or Mul(x, 1/√2) → Erf → Add(1) = e, and the product x·e·0.5 written as Mul(Mul(x, e), 0.5) or
 * Mul(Mul(x, 0.5), e) (operands in either order); intermediates must have no other consumer. The pattern becomes
 * one Gelu(x): the ONNX Gelu (approximate = 'none') from opset 20, else com.microsoft Gelu (same function), so the
 * model's default opset does not change.
 */
export function rewriteGeluPatterns(model: Model): { model: Model; rewritten: string[] } {
  const m = editableCopy(model);
  const g = m.graph;
  const consumers = consumersOf(g);
  const one = (v: string): Node | undefined => {
    const c = consumers.get(v) ?? [];
    return c.length === 1 && !isGraphOutput(g, v) ? c[0] : undefined;
  };
  const onnxGelu = defaultOpset(m) >= 20;
  let infos: ReturnType<typeof inferShapes> | undefined;
  const remove = new Set<Node>();
  const rewritten: string[] = [];
  for (const erf of g.nodes) {
    if (!is(erf, 'Erf') || remove.has(erf)) continue;
    const scaleNode = g.nodes.find((n) => n.outputs[0] === erf.inputs[0]);
    if (scaleNode === undefined || one(scaleNode.outputs[0]) !== erf) continue;
    let x: string | undefined;
    if (is(scaleNode, 'Div') && near(scalarConst(g, scaleNode.inputs[1]), Math.SQRT2))
      x = scaleNode.inputs[0];
    else if (is(scaleNode, 'Mul')) {
      const c = scaleNode.inputs.findIndex((i) => near(scalarConst(g, i), Math.SQRT1_2));
      if (c >= 0) x = scaleNode.inputs[1 - c];
    }
    if (x === undefined || floatConst(g, x) !== undefined) continue;
    const add = one(erf.outputs[0]);
    if (!is(add, 'Add') || !near(scalarConst(g, other(add, erf.outputs[0])), 1)) continue;
    const e = add.outputs[0];
    const mul1 = one(e);
    if (!is(mul1, 'Mul')) continue;
    const m1Other = other(mul1, e);
    let last: Node | undefined;
    let half: Node | undefined;
    if (m1Other === x) {
      // Mul(Mul(x, e), 0.5)
      last = one(mul1.outputs[0]);
      if (!is(last, 'Mul') || !near(scalarConst(g, other(last, mul1.outputs[0])), 0.5)) continue;
    } else {
      // Mul(Mul(x, 0.5), e): m1Other is the Mul(x, 0.5)
      half = g.nodes.find((n) => n.outputs[0] === m1Other);
      if (!is(half, 'Mul') || one(half.outputs[0]) !== mul1) continue;
      if (other(half, x) === undefined || !near(scalarConst(g, other(half, x)), 0.5)) continue;
      last = mul1;
    }
    const nodes = [scaleNode, erf, add, ...(half !== undefined ? [half] : []), mul1];
    if (last !== mul1) nodes.push(last);
    const gelu: Node = {
      name: erf.name,
      opType: 'Gelu',
      domain: onnxGelu ? '' : MS_DOMAIN,
      inputs: [x],
      outputs: [last.outputs[0]],
      attrs: {},
    };
    g.nodes[g.nodes.indexOf(last)] = gelu;
    // shape inference has no rule for the contrib op: record the output's type (calibration needs float32)
    infos ??= inferShapes(model);
    const xi = infos.get(x);
    if (xi?.dtype !== undefined) g.valueInfo.set(gelu.outputs[0], { ...xi, name: gelu.outputs[0] });
    for (const n of nodes) if (n !== last) remove.add(n);
    rewritten.push(gelu.name);
  }
  if (rewritten.length === 0) return { model, rewritten };
  g.nodes = g.nodes.filter((n) => !remove.has(n));
  dropUnusedInitializers(g);
  if (!onnxGelu && !m.opsetImports.some((o) => o.domain === MS_DOMAIN))
    m.opsetImports.push({ domain: MS_DOMAIN, version: 1 });
  return { model: m, rewritten };
}
