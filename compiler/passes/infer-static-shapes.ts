// Pass: shape inference with every dimension static; a symbolic dim left over is a user error naming the fix.

import { fail } from '../../common/diagnostics.js';
import type { Model, ValueInfo } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { topoSort } from '../../onnx/topo.js';
import { kernelKey } from '../../reference/kernel.js';
import type { Pass } from '../state.js';

/** Ops of the reference's integer-kernel QDQ lowering whose output has its input's dtype and shape. */
const SAME_SHAPE = new Set(['npu.ref:ISoftmax', 'npu.ref:ILayerNorm', 'npu.ref:IGelu']);

/**
 * inferShapes with the outputs of the SAME_SHAPE ops (which onnx/shape-rules.ts does not know yet) given as
 * value_info, one more round per op whose input became known.
 */
function inferWithIbert(m: Model, fixed: Record<string, number>): Map<string, ValueInfo> {
  let model = m;
  const given = new Set<string>();
  for (;;) {
    const shapes = inferShapes(model, fixed);
    const valueInfo = new Map(model.graph.valueInfo);
    let changed = false;
    for (const n of model.graph.nodes) {
      if (!SAME_SHAPE.has(kernelKey(n.domain, n.opType))) continue;
      const [x, y] = [shapes.get(n.inputs[0]), n.outputs[0]];
      // only fully known shapes: a '?' given as value_info would stick in later rounds
      const known = x?.shape?.every((d) => typeof d === 'number') === true;
      if (x === undefined || !known || shapes.get(y)?.shape !== undefined || given.has(y)) continue;
      const dtype = x.dtype !== undefined ? { dtype: x.dtype } : {};
      valueInfo.set(y, { name: y, ...dtype, shape: x.shape! });
      given.add(y);
      changed = true;
    }
    if (!changed) return shapes;
    // a graph output's own (shapeless) entry would override the value_info: give it the shape too
    const outputs = model.graph.outputs.map((o) => {
      const v = valueInfo.get(o.name);
      return v !== undefined && o.shape === undefined ? { ...o, shape: v.shape! } : o;
    });
    model = { ...model, graph: { ...model.graph, valueInfo, outputs } };
  }
}

export const inferStaticShapesPass: Pass = {
  name: 'infer-static-shapes',
  run(s) {
    const m = s.model;
    const shapes = inferWithIbert(m, s.options.fixedDims ?? {});
    const used = new Set<string>(m.graph.inputs.map((i) => i.name));
    for (const n of topoSort(m.graph)) for (const v of [...n.inputs, ...n.outputs]) used.add(v);
    for (const name of [...used].sort()) {
      if (name === '' || m.graph.initializers.has(name)) continue;
      const info = shapes.get(name);
      const dims = info?.shape;
      if (dims !== undefined && dims.every((d) => typeof d === 'number')) continue;
      const symbolic = (dims ?? []).filter((d): d is string => typeof d === 'string' && d !== '?');
      const hint = symbolic.length > 0 ? symbolic.map((d) => `${d}=1`).join(',') : 'batch=1';
      fail('dynamicShape', [name, (dims ?? ['?']).join(','), hint], {
        ...(m.file !== undefined ? { file: m.file } : {}),
      });
    }
    s.shapes = shapes;
  },
};
