// The contract between the reference interpreter and its op kernels.

import type { Tensor } from '../common/tensor.js';
import type { Node } from '../onnx/graph.js';

/**
 * How integer results are requantized:
 * - 'float': onnxruntime CPU semantics (MlasRequantizeOutput: float32 multiplier, round half to even).
 * - 'fixed': TFLite int8 / gemmlowp semantics (int32 multiplier and shift, SRDHM + RoundingDivideByPOT).
 */
export type RequantMode = 'float' | 'fixed';

export interface KernelContext {
  readonly node: Node;
  readonly mode: RequantMode;
  /** Opset version of the node's domain. */
  readonly opset: number;
}

/**
 * A kernel computes a node's outputs from its inputs. An omitted optional input is `undefined`.
 * Kernels validate their inputs and throw NpuError (badInputCount, wrongDType, shapeMismatch, badAttribute).
 */
export type Kernel = (inputs: readonly (Tensor | undefined)[], ctx: KernelContext) => Tensor[];

/** Key of a kernel in a registry: the op type for the default domain, or 'domain:OpType' otherwise. */
export const kernelKey = (domain: string, opType: string): string =>
  domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
