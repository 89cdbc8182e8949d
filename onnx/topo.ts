// Topological order of a graph's nodes (Kahn's algorithm, stable: file order wherever it is already valid).

import type { Graph, Node } from './graph.js';
import { fail } from '../common/diagnostics.js';

/** Names a subgraph (If/Loop/Scan body) reads from enclosing scopes: its implicit inputs. */
export function subgraphFreeInputs(g: Graph): Set<string> {
  const defined = new Set<string>([...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
  const free = new Set<string>();
  for (const n of g.nodes) {
    for (const i of nodeInputs(n)) if (i !== '' && !defined.has(i)) free.add(i);
  }
  return free;
}

/** Explicit inputs plus the implicit ones of subgraph attributes. */
export function nodeInputs(n: Node): string[] {
  const out = [...n.inputs];
  for (const a of Object.values(n.attrs))
    if (a.type === 'graph') out.push(...subgraphFreeInputs(a.value));
  return out;
}

/** Min-heap of node indices: among ready nodes, the earliest in the file goes first. */
class IndexHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
        if (a[c] >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

export function topoSort(graph: Graph): Node[] {
  const nodes = graph.nodes;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    n.outputs.forEach((o) => o !== '' && producer.set(o, i));
  });
  const known = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);

  const consumers: number[][] = nodes.map(() => []);
  const indegree = new Array<number>(nodes.length).fill(0);
  const preds: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const explicit = new Set(n.inputs);
    for (const name of new Set(nodeInputs(n))) {
      if (name === '') continue;
      const p = producer.get(name);
      if (p !== undefined) {
        consumers[p].push(i);
        preds[i].push(p);
        indegree[i]++;
      } else if (!known.has(name) && explicit.has(name)) {
        // implicit subgraph inputs may come from a scope further out; explicit ones must exist here
        fail('missingInput', [name], { node: n.name, opType: n.opType });
      }
    }
  });

  const ready = new IndexHeap();
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const order: Node[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(nodes[i]);
    for (const c of consumers[i]) if (--indegree[c] === 0) ready.push(c);
  }
  if (order.length < nodes.length) {
    // walk backwards through unfinished predecessors: after n steps we are on a cycle
    let i = indegree.findIndex((d) => d > 0);
    for (let step = 0; step < nodes.length; step++) i = preds[i].find((p) => indegree[p] > 0) ?? i;
    const n = nodes[i];
    fail('graphCycle', [`node '${n.name}'`], { node: n.name, opType: n.opType });
  }
  return order;
}
