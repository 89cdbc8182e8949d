// Pass: build the NPU graph: each NPU node through its lowering rule, each host node as a host op; tensors with quant.

import type { Tensor } from '../../common/tensor.js';
import { topoSort } from '../../onnx/topo.js';
import type { NpuGraph, NpuOp, QInfo, TensorValue } from '../ir.js';
import { opOutputs } from '../ir.js';
import { ruleOf } from '../lower/rules.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

/** Ops whose output codes mean what their input codes mean (same scale and zero point). */
const KEEPS_QUANT = new Set<NpuOp['kind']>(['move', 'pad', 'resize', 'clamp']);

export const buildIrPass: Pass = {
  name: 'build-ir',
  run(s) {
    const shapes = need(s.shapes, 'shapes', 'build-ir');
    const io = need(s.io, 'io bindings', 'build-ir');
    const placement = need(s.placement, 'placement', 'build-ir');
    const onNpu = new Set(placement.npu);
    const g = s.model.graph;
    const ops: NpuOp[] = [];
    const quant = new Map<string, QInfo>();
    const extra: TensorValue[] = [];
    const constants = new Map<string, Tensor>();
    for (const node of topoSort(g)) {
      if (io.boundary.has(node.name)) continue;
      if (!onNpu.has(node.name)) {
        for (const i of node.inputs)
          if (g.initializers.has(i)) constants.set(i, g.initializers.get(i)!);
        const inputs = node.inputs.filter((i) => i !== '' && !g.initializers.has(i));
        const outputs = node.outputs.filter((o) => o !== '');
        ops.push({
          kind: 'host',
          id: -1,
          nodes: [node.name],
          inputs,
          output: outputs[0] ?? '',
          outputs,
          node,
        });
        continue;
      }
      const lowered = ruleOf(node.domain, node.opType)!.lower({
        node,
        model: s.model,
        mode: s.options.requant,
        shapes,
      });
      ops.push(...lowered.ops);
      for (const [name, q] of lowered.quant) if (!quant.has(name)) quant.set(name, q);
      extra.push(...(lowered.extra ?? []));
    }
    ops.forEach((op, i) => (op.id = i));
    for (const b of [...io.inputs, ...io.outputs])
      if (b.quant !== undefined) quant.set(b.tensor, { scale: b.quant.scale, zp: b.quant.zp });
    // max pool, moves, pads, resizes and clamps pass their input's parameters on
    // (both ways: a table's output gets its parameters from the conv that reads it through a Cast / Reshape)
    for (let changed = true; changed;) {
      changed = false;
      for (const op of ops) {
        const keeps = KEEPS_QUANT.has(op.kind) || (op.kind === 'pool' && op.pool === 'max');
        if (!keeps) continue;
        const [i, o] = [op.inputs[0] ?? '', op.output];
        const q = quant.get(i) ?? quant.get(o);
        for (const t of op.kind === 'move' && op.what === 'concat' ? [o] : [i, o])
          if (q !== undefined && !quant.has(t)) {
            quant.set(t, q);
            changed = true;
          }
      }
    }
    const ins = new Set(io.inputs.map((b) => b.tensor));
    const outs = new Set(io.outputs.map((b) => b.tensor));
    const tensors = new Map<string, TensorValue>();
    for (const t of extra) tensors.set(t.name, t);
    for (const op of ops) {
      for (const name of [...op.inputs, ...opOutputs(op)]) {
        if (tensors.has(name) || name === '') continue;
        const info = shapes.get(name);
        const q = quant.get(name);
        tensors.set(name, {
          name,
          dtype: info?.dtype ?? 'int8',
          shape: (info?.shape ?? []) as number[],
          kind: ins.has(name) ? 'input' : outs.has(name) ? 'output' : 'intermediate',
          ...(q !== undefined ? { quant: q } : {}),
        });
      }
    }
    const graph: NpuGraph = {
      tensors,
      ops,
      inputs: io.inputs.map((b) => ({ ...b })),
      outputs: io.outputs.map((b) => ({ ...b })),
      constants,
    };
    s.graph = graph;
  },
};
