// Pass: shape inference with every dimension static; a symbolic dim left over is a user error naming the fix.

import { fail } from '../../common/diagnostics.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { topoSort } from '../../onnx/topo.js';
import type { Pass } from '../state.js';

export const inferStaticShapesPass: Pass = {
  name: 'infer-static-shapes',
  run(s) {
    const m = s.model;
    const shapes = inferShapes(m, s.options.fixedDims ?? {});
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
