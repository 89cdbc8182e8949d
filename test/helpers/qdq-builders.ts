// Test builders of QDQ models: quantized graph inputs behind DequantizeLinear, DQ'd constants, QuantizeLinear outputs.

import type { DType, Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Attr, Model, Node } from '../../onnx/graph.js';
import { A, type BuilderOptions, ModelBuilder } from './model-builder.js';

type Many = number | readonly number[];
const vec = (v: Many): number[] => (typeof v === 'number' ? [v] : [...v]);

/** A ModelBuilder with QDQ helpers; parameters are initializers named `<value>_scale` / `<value>_zp`. */
export class QdqBuilder extends ModelBuilder {
  constructor(opts: BuilderOptions = {}) {
    super(opts);
  }

  /** Graph input `<name>_q` (dtype, shape) dequantized into float value `name`. */
  dqInput(name: string, dtype: DType, shape: readonly number[], scale: number, zp: number): this {
    this.input(`${name}_q`, dtype, shape);
    return this.dq(name, `${name}_q`, dtype, scale, zp);
  }

  /** DequantizeLinear of an existing integer value `src` into `name`, per-tensor. */
  dq(name: string, src: string, dtype: DType, scale: number, zp: number | undefined): this {
    this.scalar(`${name}_scale`, 'float32', scale);
    const inputs = [src, `${name}_scale`];
    if (zp !== undefined) {
      this.scalar(`${name}_zp`, dtype, zp);
      inputs.push(`${name}_zp`);
    }
    return this.node('DequantizeLinear', inputs, [name]);
  }

  /** A constant integer tensor `<name>_q` dequantized into `name`; vector scales are per-axis along `axis`. */
  dqConst(name: string, t: Tensor, scale: Many, zp: Many, axis?: number): this {
    this.initializer(`${name}_q`, t);
    const scales = vec(scale);
    const zps = vec(zp);
    if (scales.length === 1 && typeof scale === 'number') {
      this.scalar(`${name}_scale`, 'float32', scales[0]).scalar(`${name}_zp`, t.dtype, zps[0]);
    } else {
      this.vector(`${name}_scale`, 'float32', scales).vector(`${name}_zp`, t.dtype, zps);
    }
    const attrs: Record<string, Attr> = axis === undefined ? {} : { axis: A.int(axis) };
    return this.node(
      'DequantizeLinear',
      [`${name}_q`, `${name}_scale`, `${name}_zp`],
      [name],
      attrs,
    );
  }

  /** QuantizeLinear of float `src` into integer `out`, per-tensor; a graph output unless told otherwise. */
  q(src: string, out: string, dtype: DType, scale: number, zp: number, graphOutput = true): this {
    this.scalar(`${out}_scale`, 'float32', scale).scalar(`${out}_zp`, dtype, zp);
    this.node('QuantizeLinear', [src, `${out}_scale`, `${out}_zp`], [out]);
    return graphOutput ? this.output(out, dtype) : this;
  }
}

/** `[domain:]opType` of each node, in order. */
export const opTypes = (m: Model): string[] =>
  m.graph.nodes.map((n: Node) => (n.domain === '' ? n.opType : `${n.domain}:${n.opType}`));

/** Count of nodes of a given `[domain:]opType`. */
export const countOps = (m: Model, key: string): number =>
  opTypes(m).filter((k) => k === key).length;

export const f32 = (shape: readonly number[], values: readonly number[]): Tensor =>
  tensor('float32', shape, values);
