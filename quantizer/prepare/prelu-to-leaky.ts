// Rewrites PRelu whose slope is one value (a scalar or all-equal tensor) as LeakyRelu, which quantizes as a table.

import type { Model } from '../../onnx/graph.js';
import { editableCopy, floatConst } from './graph-edit.js';

export function preluToLeakyRelu(model: Model): { model: Model; rewritten: string[] } {
  const m = editableCopy(model);
  const g = m.graph;
  const rewritten: string[] = [];
  for (const n of g.nodes) {
    if (n.opType !== 'PRelu' || n.domain !== '') continue;
    const slope = floatConst(g, n.inputs[1]);
    if (slope === undefined || slope.data.length === 0) continue;
    const a = slope.data[0];
    if (!slope.data.every((v) => v === a)) continue;
    n.opType = 'LeakyRelu';
    n.inputs = [n.inputs[0]];
    n.attrs = { alpha: { type: 'float', value: a } };
    rewritten.push(n.name);
  }
  if (rewritten.length === 0) return { model, rewritten };
  const used = new Set<string>(g.nodes.flatMap((n) => n.inputs));
  for (const name of [...g.initializers.keys()])
    if (!used.has(name) && !g.outputs.some((o) => o.name === name)) g.initializers.delete(name);
  return { model: m, rewritten };
}
