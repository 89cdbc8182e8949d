// Pass: the compatibility check: every node the NPU cannot run, with its reason; one error, or a host/NPU partition.

import { NpuError, fail } from '../../common/diagnostics.js';
import { topoSort } from '../../onnx/topo.js';
import { ruleOf } from '../lower/rules.js';
import type { LowerCx } from '../lower/context.js';
import type { Pass, Placement } from '../state.js';
import { need } from '../state.js';

/**
 * The ops of a dynamically quantized model (npuq --dynamic): host-only by design, so their reason says why rather
 * than "no lowering". docs/calibration.md, "Dynamic quantization", states what runs where.
 */
const DYNAMIC_REASONS: Readonly<Record<string, string>> = {
  DynamicQuantizeLinear:
    "dynamic quantization: scale (max - min) / 255 and zero point are float values computed from the tensor's run-time min/max; NPU instructions take scales and zero points from compile-time constants",
  MatMulInteger:
    'int32 output for a run-time float rescale; NPU MAC instructions write 8-bit outputs requantized with compile-time scales',
  ConvInteger:
    'int32 output for a run-time float rescale; NPU MAC instructions write 8-bit outputs requantized with compile-time scales',
};

/** Why a node cannot go to the NPU, or undefined if it can. */
function reasonOf(cx: LowerCx): string | undefined {
  const n = cx.node;
  if (n.domain === '' && DYNAMIC_REASONS[n.opType] !== undefined) return DYNAMIC_REASONS[n.opType];
  const rule = ruleOf(n.domain, n.opType);
  if (rule === undefined) {
    const float = n.outputs.some((o) => cx.shapes.get(o)?.dtype?.startsWith('float') === true);
    return float ? 'float op outside a quantized group' : 'no NPU lowering for this op';
  }
  try {
    return rule.check(cx);
  } catch (e) {
    if (e instanceof NpuError) return e.message;
    throw e;
  }
}

export const checkSupportPass: Pass = {
  name: 'check-support',
  run(s) {
    const shapes = need(s.shapes, 'shapes', 'check-support');
    const io = need(s.io, 'io bindings', 'check-support');
    const placement: Placement = { npu: [], host: [], segments: [] };
    for (const node of topoSort(s.model.graph)) {
      if (io.boundary.has(node.name)) continue;
      const reason = reasonOf({ node, model: s.model, mode: s.options.requant, shapes });
      const target = reason === undefined ? 'npu' : 'host';
      if (reason === undefined) placement.npu.push(node.name);
      else placement.host.push({ node: node.name, opType: node.opType, reason });
      const last = placement.segments.at(-1);
      if (last?.target === target) last.nodes.push(node.name);
      else placement.segments.push({ target, nodes: [node.name] });
    }
    const dynamic = placement.host.filter((h) => h.opType === 'DynamicQuantizeLinear');
    if (dynamic.length > 0 && !s.options.cpuFallback) {
      // one cause, one line: listing every host node of a dynamic model would bury it
      fail('npuDynamicQuantization', [dynamic.length, dynamic[0].node], {
        ...(s.model.file !== undefined ? { file: s.model.file } : {}),
      });
    }
    if (placement.host.length > 0 && !s.options.cpuFallback) {
      const list = placement.host.map((h) => `'${h.node}' (${h.opType}): ${h.reason}`).join('; ');
      fail('npuUnsupportedNodes', [placement.host.length, list], {
        ...(s.model.file !== undefined ? { file: s.model.file } : {}),
      });
    }
    s.placement = placement;
  },
};
