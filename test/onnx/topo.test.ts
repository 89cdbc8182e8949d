// topoSort: stable order, reordering, subgraph dependencies, cycle and missing-input errors.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { tensor } from '../../common/tensor.js';
import type { Graph, Node } from '../../onnx/graph.js';
import { emptyGraph } from '../../onnx/graph.js';
import { topoSort } from '../../onnx/topo.js';

const node = (name: string, inputs: string[], outputs: string[]): Node => ({
  name,
  opType: 'Op',
  domain: '',
  inputs,
  outputs,
  attrs: {},
});

function graph(nodes: Node[]): Graph {
  const g = emptyGraph();
  g.inputs.push({ name: 'x' });
  g.initializers.set('w', tensor('float32', [1], [1]));
  g.nodes = nodes;
  return g;
}

const caught = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected an error');
};

describe('topoSort', () => {
  test('keeps a valid order unchanged, including independent nodes and optional inputs', () => {
    const ns = [
      node('c', ['x'], ['c']),
      node('a', ['x', 'w'], ['a']),
      node('b', ['a', '', 'c'], ['b']),
    ];
    expect(topoSort(graph(ns)).map((n) => n.name)).toEqual(['c', 'a', 'b']);
  });

  test('moves a consumer after its producer and otherwise keeps file order', () => {
    const ns = [node('use', ['p'], ['u']), node('free', ['x'], ['f']), node('prod', ['x'], ['p'])];
    expect(topoSort(graph(ns)).map((n) => n.name)).toEqual(['free', 'prod', 'use']);
  });

  test('random permutations of a chain-with-branches come out valid and stable', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (n, seed) => {
        // node i reads the output of some earlier node (or x)
        const ns = Array.from({ length: n }, (_, i) =>
          node(`n${i}`, [i === 0 ? 'x' : `v${Math.abs(seed * (i + 7)) % i}`], [`v${i}`]),
        );
        const shuffled = fc.sample(fc.shuffledSubarray(ns, { minLength: n, maxLength: n }), {
          seed,
          numRuns: 1,
        })[0];
        const order = topoSort(graph(shuffled));
        const seen = new Set(['x', 'w']);
        for (const o of order) {
          for (const i of o.inputs) expect(seen.has(i)).toBe(true);
          o.outputs.forEach((v) => seen.add(v));
        }
        expect(order.length).toBe(n);
        // a valid order is a fixed point
        expect(topoSort(graph(order))).toEqual(order);
      }),
      { numRuns: 100 },
    );
  });

  test('a subgraph reading an outer value orders the If after that value', () => {
    const body = emptyGraph('then');
    body.nodes = [node('inner', ['late'], ['t'])];
    body.outputs = [{ name: 't' }];
    const ifNode: Node = {
      ...node('if', ['x'], ['y']),
      opType: 'If',
      attrs: { then_branch: { type: 'graph', value: body } },
    };
    expect(topoSort(graph([ifNode, node('late', ['x'], ['late'])])).map((n) => n.name)).toEqual([
      'late',
      'if',
    ]);
  });

  test('cycle error names a node on the cycle', () => {
    const ns = [
      node('a', ['x', 'c'], ['a']),
      node('b', ['a'], ['b']),
      node('c', ['b'], ['c']),
      node('d', ['c'], ['d']),
    ];
    const e = caught(() => topoSort(graph(ns)));
    expect(e.id).toBe('graphCycle');
    expect(['a', 'b', 'c']).toContain(e.location.node);
  });

  test('missing input names the node and the input', () => {
    const e = caught(() =>
      topoSort(graph([node('a', ['x'], ['a']), node('b', ['a', 'ghost'], ['b'])])),
    );
    expect(e.id).toBe('missingInput');
    expect(e.location.node).toBe('b');
    expect(e.message).toContain('ghost');
  });
});
