// Lowering rules: constant-mode Pad (the value is already a code) and nearest Resize by integer factors.

import { attrString, defaultOpset } from '../../../onnx/graph.js';
import { attrInts } from '../../../onnx/graph.js';
import type { PadOp, ResizeOp } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  base,
  constOf,
  dtypeOf,
  firstReason,
  inShape,
  is8,
  outShape,
} from '../context.js';

function padsOf(cx: LowerCx): number[] | undefined {
  if (defaultOpset(cx.model) < 11) return attrInts(cx.node, 'pads', []);
  const t = constOf(cx, 1);
  return t === undefined ? undefined : Array.from(t.data, Number);
}

export const PAD_RULE: LowerRule = {
  check(cx) {
    const pads = padsOf(cx);
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        attrString(cx.node, 'mode', 'constant') !== 'constant',
        `mode '${attrString(cx.node, 'mode', 'constant')}' (only constant padding)`,
      ],
      [pads === undefined || pads.length !== 2 * inShape(cx).length, 'pads must be constant'],
      [(cx.node.inputs[3] ?? '') !== '', 'the axes input is not supported'],
      [
        (cx.node.inputs[2] ?? '') !== '' && constOf(cx, 2) === undefined,
        'constant_value must be constant',
      ],
      [pads !== undefined && pads.some((p) => p < 0 || p > 255), 'pads must be in 0..255'],
      // the DMA pads rows and columns of each channel; other axes would need a fill of whole planes
      [inShape(cx).length < 2, 'rank < 2'],
      [
        pads !== undefined &&
          pads.some((p, i) => p !== 0 && i % inShape(cx).length < inShape(cx).length - 2),
        'only the last two axes can be padded',
      ],
    ]);
  },
  lower(cx) {
    const v = constOf(cx, 2);
    const op: PadOp = {
      kind: 'pad',
      ...base(cx, [cx.node.inputs[0]]),
      pads: padsOf(cx)!,
      value: v === undefined ? 0 : Number(v.data[0]),
    };
    return { ops: [op], quant: [] };
  },
};

/** Nearest resize replicates each input element f times exactly when every output maps to floor(out / f). */
function replicates(cx: LowerCx): boolean {
  if (defaultOpset(cx.model) < 11) return true; // opset 10: asymmetric + floor
  const ctm = attrString(cx.node, 'coordinate_transformation_mode', 'half_pixel');
  const nm = attrString(cx.node, 'nearest_mode', 'round_prefer_floor');
  if (ctm === 'asymmetric') return nm === 'floor';
  return (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') && nm !== 'floor' && nm !== 'ceil';
}

export const RESIZE_RULE: LowerRule = {
  check(cx) {
    const [x, y] = [inShape(cx), outShape(cx)];
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        attrString(cx.node, 'mode', 'nearest') !== 'nearest',
        `mode '${attrString(cx.node, 'mode', 'nearest')}' (only nearest)`,
      ],
      [x.some((d, i) => y[i] % d !== 0), 'only integer upscaling factors'],
      [x.length !== 4, `rank ${x.length} (only NCHW)`],
      [x.length === 4 && (y[0] !== x[0] || y[1] !== x[1]), 'only H and W are resized'],
      [!replicates(cx), 'coordinate_transformation_mode / nearest_mode do not replicate pixels'],
    ]);
  },
  lower(cx) {
    const [x, y] = [inShape(cx), outShape(cx)];
    const op: ResizeOp = {
      kind: 'resize',
      ...base(cx, [cx.node.inputs[0]]),
      factors: x.map((d, i) => y[i] / d),
    };
    return { ops: [op], quant: [] };
  },
};
