// After QDQ lowering: drops DequantizeLinear nodes and initializers that only the replaced float ops used.

import type { Graph } from '../../onnx/graph.js';

/**
 * Removes DequantizeLinear nodes none of whose outputs is consumed or a graph output, then initializers no node
 * reads any more (only those the original graph did read: an unused initializer of the input stays), and the value
 * infos of values that no longer exist. Other nodes are never removed, even if dead in the input.
 */
export function finishDeadCode(graph: Graph, original: Graph): void {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const used = (): Set<string> => new Set(graph.nodes.flatMap((n) => n.inputs));
  const consumed = used();
  graph.nodes = graph.nodes.filter(
    (n) =>
      !(n.domain === '' && n.opType === 'DequantizeLinear') ||
      n.outputs.some((o) => o !== '' && (consumed.has(o) || outputs.has(o))),
  );
  const live = used();
  const readBefore = new Set(original.nodes.flatMap((n) => n.inputs));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  for (const name of [...graph.initializers.keys()]) {
    if (!live.has(name) && !outputs.has(name) && !inputs.has(name) && readBefore.has(name)) {
      graph.initializers.delete(name);
    }
  }
  const exists = new Set([...live, ...graph.nodes.flatMap((n) => n.outputs), ...outputs]);
  for (const name of [...graph.valueInfo.keys()])
    if (!exists.has(name)) graph.valueInfo.delete(name);
}
