// What a lowering rule sees of its ONNX node (shapes, constants, mode) and what it returns (NPU ops, tensor params).

import type { DType, Tensor } from '../../common/tensor.js';
import type { Model, Node, ValueInfo } from '../../onnx/graph.js';
import type { NpuOp, QInfo, TensorValue } from '../ir.js';

export interface LowerCx {
  readonly node: Node;
  readonly model: Model;
  readonly mode: 'float' | 'fixed';
  readonly shapes: Map<string, ValueInfo>;
}

/** The ops of one node (id is assigned by build-ir), the quantization of the activations it defines or reads. */
export interface Lowered {
  ops: NpuOp[];
  quant: [string, QInfo][];
  /** Intermediates a rule introduces (e.g. the requantized inputs of a QLinearConcat). */
  extra?: TensorValue[];
}

/**
 * A row of the lowering table: `check` returns why the node cannot run on the NPU (or undefined), `lower` builds
 * the ops of a node that passed the check.
 */
export interface LowerRule {
  check(cx: LowerCx): string | undefined;
  lower(cx: LowerCx): Lowered;
}

export const constOf = (cx: LowerCx, i: number): Tensor | undefined => {
  const name = cx.node.inputs[i];
  return name === undefined || name === '' ? undefined : cx.model.graph.initializers.get(name);
};

export function shapeOf(cx: LowerCx, name: string): number[] {
  const init = cx.model.graph.initializers.get(name);
  if (init !== undefined) return [...init.shape];
  const s = cx.shapes.get(name)?.shape;
  if (s === undefined || s.some((d) => typeof d !== 'number'))
    throw new Error(`compiler: no static shape for '${name}'`);
  return s as number[];
}

export const dtypeOf = (cx: LowerCx, name: string): DType | undefined =>
  cx.model.graph.initializers.get(name)?.dtype ?? cx.shapes.get(name)?.dtype;

export const inShape = (cx: LowerCx, i = 0): number[] => shapeOf(cx, cx.node.inputs[i]);
export const outShape = (cx: LowerCx, i = 0): number[] => shapeOf(cx, cx.node.outputs[i]);

/** A constant scalar input (scale or zero point), or undefined if it is missing, not constant or not a scalar. */
export function scalarIn(cx: LowerCx, i: number): number | undefined {
  const t = constOf(cx, i);
  return t !== undefined && t.data.length === 1 ? Number(t.data[0]) : undefined;
}

/** (scale, zp) from inputs i and i + 1; a missing zp is 0. */
export function qinfoAt(cx: LowerCx, i: number): QInfo | undefined {
  const scale = scalarIn(cx, i);
  const zpName = cx.node.inputs[i + 1] ?? '';
  const zp = zpName === '' ? 0 : scalarIn(cx, i + 1);
  return scale === undefined || zp === undefined ? undefined : { scale, zp };
}

export const is8 = (d: DType | undefined): d is 'int8' | 'uint8' => d === 'int8' || d === 'uint8';

/** A fresh op; build-ir assigns the id. */
export function base(
  cx: LowerCx,
  inputs: string[],
  output = cx.node.outputs[0],
): {
  id: number;
  nodes: string[];
  inputs: string[];
  output: string;
} {
  return { id: -1, nodes: [cx.node.name], inputs, output };
}

/** The first reason in a list of [condition-is-bad, reason] pairs. */
export function firstReason(checks: readonly (readonly [boolean, string])[]): string | undefined {
  return checks.find(([bad]) => bad)?.[1];
}
