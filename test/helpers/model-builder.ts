// A small fluent builder of Model IR for tests: graph inputs, initializers, nodes, outputs and opset imports.

import type { DType, Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Attr, Dim, Model, Node, OpsetImport, ValueInfo } from '../../onnx/graph.js';
import { emptyGraph } from '../../onnx/graph.js';

/** Typed attribute constructors, so node attributes keep their ONNX type (an int is not a float). */
export const A = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  ints: (value: readonly number[]): Attr => ({ type: 'ints', value: [...value] }),
  floats: (value: readonly number[]): Attr => ({ type: 'floats', value: [...value] }),
};

export interface BuilderOptions {
  /** Default-domain opset; 21 covers every op the differential tests use. */
  opset?: number;
  /** com.microsoft opset; included by default because the QLinear* contrib ops live there. */
  msOpset?: number | null;
  name?: string;
}

export class ModelBuilder {
  private readonly graph = emptyGraph('test');
  private readonly opsets: OpsetImport[];
  private counter = 0;

  constructor(opts: BuilderOptions = {}) {
    this.graph.name = opts.name ?? 'test';
    this.opsets = [{ domain: '', version: opts.opset ?? 21 }];
    const ms = opts.msOpset === undefined ? 1 : opts.msOpset;
    if (ms !== null) this.opsets.push({ domain: 'com.microsoft', version: ms });
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): this {
    this.graph.inputs.push({ name, dtype, shape: [...shape] });
    return this;
  }

  /** A constant tensor; ONNX initializers need not be graph inputs (IR version >= 4). */
  initializer(name: string, t: Tensor): this {
    this.graph.initializers.set(name, t);
    return this;
  }

  /** A 0-d initializer, e.g. a scale or zero point. */
  scalar(name: string, dtype: DType, value: number): this {
    return this.initializer(name, tensor(dtype, [], [value]));
  }

  /** A 1-D initializer, e.g. per-channel scales. */
  vector(name: string, dtype: DType, values: readonly number[]): this {
    return this.initializer(name, tensor(dtype, [values.length], values));
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, Attr> = {},
    domain = '',
  ): this {
    const node: Node = {
      name: `${opType}_${this.counter++}`,
      opType,
      domain,
      inputs: [...inputs],
      outputs: [...outputs],
      attrs: { ...attrs },
    };
    this.graph.nodes.push(node);
    return this;
  }

  /** A com.microsoft contrib node (QLinearAdd, QLinearSigmoid, ...). */
  msNode(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, Attr> = {},
  ): this {
    return this.node(opType, inputs, outputs, attrs, 'com.microsoft');
  }

  /** A graph output; shape may be omitted (ORT infers it). */
  output(name: string, dtype: DType, shape?: readonly Dim[]): this {
    const info: ValueInfo = { name, dtype };
    if (shape !== undefined) info.shape = [...shape];
    this.graph.outputs.push(info);
    return this;
  }

  build(): Model {
    return {
      irVersion: 10,
      opsetImports: this.opsets.map((o) => ({ ...o })),
      producerName: 'npu-toolchain-tests',
      producerVersion: '0',
      graph: this.graph,
    };
  }
}
