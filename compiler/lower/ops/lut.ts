// Lowering rules: npu.ref:QLinearLut → vec.lut; npu.ref:IntClip → vec.clamp (both may later fold into an epilogue).

import { INT_RANGE, tensor } from '../../../common/tensor.js';
import { attrInt, attrTensor } from '../../../onnx/graph.js';
import { kernelKey } from '../../../reference/kernel.js';
import { QUANT_KERNELS } from '../../../reference/ops/quant-registry.js';
import type { ClampOp, LutOp } from '../../ir.js';
import { type LowerRule, base, dtypeOf, firstReason, is8, constOf, qinfoAt } from '../context.js';

export const LUT_RULE: LowerRule = {
  check(cx) {
    const t = attrTensor(cx.node, 'table');
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        t === undefined || !is8(t.dtype) || t.data.length !== 256,
        'the table must hold 256 8-bit entries',
      ],
    ]);
  },
  lower(cx) {
    const t = attrTensor(cx.node, 'table')!;
    const op: LutOp = {
      kind: 'lut',
      ...base(cx, [cx.node.inputs[0]]),
      table: (t.data as Int8Array | Uint8Array).slice(),
    };
    return { ops: [op], quant: [] };
  },
};

export const INT_CLIP_RULE: LowerRule = {
  check(cx) {
    return firstReason([[!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit']]);
  },
  lower(cx) {
    const op: ClampOp = {
      kind: 'clamp',
      ...base(cx, [cx.node.inputs[0]]),
      lo: attrInt(cx.node, 'min'),
      hi: attrInt(cx.node, 'max'),
    };
    return { ops: [op], quant: [] };
  },
};

/**
 * com.microsoft QLinearSigmoid / QLinearLeakyRelu: element-wise on 8-bit codes, so the table is the reference
 * kernel itself applied once to all 256 codes (bit-identical to running the node).
 */
export const QLINEAR_UNARY_RULE: LowerRule = {
  check(cx) {
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        qinfoAt(cx, 1) === undefined || qinfoAt(cx, 3) === undefined,
        'scales and zero points must be constant per-tensor',
      ],
    ]);
  },
  lower(cx) {
    const xType = dtypeOf(cx, cx.node.inputs[0]) as 'int8' | 'uint8';
    const codes = tensor(
      xType,
      [256],
      Array.from({ length: 256 }, (_, i) => INT_RANGE[xType][0] + i),
    );
    const consts = cx.node.inputs.map((_, i) => (i === 0 ? codes : constOf(cx, i)));
    const kernel = QUANT_KERNELS[kernelKey(cx.node.domain, cx.node.opType)];
    const [t] = kernel(consts, { node: cx.node, mode: cx.mode, opset: 1 });
    const op: LutOp = {
      kind: 'lut',
      ...base(cx, [cx.node.inputs[0]]),
      table: (t.data as Int8Array | Uint8Array).slice(),
    };
    return {
      ops: [op],
      quant: [
        [cx.node.inputs[0], qinfoAt(cx, 1)!],
        [cx.node.outputs[0], qinfoAt(cx, 3)!],
      ],
    };
  },
};
