// The ISA as one table: every instruction's opcode, engine, fields, documentation and semantics (docs/isa.md is generated from it).
import { en, f32, dim, dram, k8, q9, qtype, s, sram, stride, u } from './fields.js';
import type { InstructionSpec } from './format.js';
import { DMA_CHANNEL_BITS, STRIDE_BITS } from './word.js';

const channel = u(
  'channel',
  DMA_CHANNEL_BITS,
  'DMA channel (queue) 0..dma.engines-1; each channel has its own strides',
);
const sizes = [
  dim('size0', 'bytes in dim 0 (contiguous in DRAM and SRAM)'),
  dim('size1', 'elements of dim 1'),
  dim('size2', 'elements of dim 2'),
  dim('size3', 'elements of dim 3 (outermost)'),
] as const;
const ADDR_DOC =
  'Addresses: SRAM is one flat byte space, slice k owning [k*bytesPerSlice, (k+1)*bytesPerSlice).';

export const INSTRUCTIONS = [
  // ---- DMA engine: DRAM <-> SRAM -------------------------------------------------------------------------------
  {
    mnemonic: 'dma.cfg',
    opcode: 0x10,
    engine: 'dma',
    doc: 'Sets the byte strides of dims 1..3 that later dma.load and dma.store instructions on the same channel use.',
    semantics:
      'ch = channel\ndramStride[ch] = (dramStride1, dramStride2, dramStride3)\nsramStride[ch] = (sramStride1, sramStride2, sramStride3)',
    fields: [
      channel,
      stride('dramStride1', 'DRAM, dim 1'),
      stride('dramStride2', 'DRAM, dim 2'),
      stride('dramStride3', 'DRAM, dim 3'),
      stride('sramStride1', 'SRAM, dim 1'),
      stride('sramStride2', 'SRAM, dim 2'),
      stride('sramStride3', 'SRAM, dim 3'),
    ],
  },
  {
    mnemonic: 'dma.load',
    opcode: 0x11,
    engine: 'dma',
    doc: `Copies a 4-D strided box DRAM -> SRAM and surrounds it with padding bytes (conv halos, zero-point padding). ${ADDR_DOC}`,
    semantics: [
      'ch = channel; (ds1, ds2, ds3) = dramStride[ch]; (ss1, ss2, ss3) = sramStride[ch]',
      'for d in 0..3: n[d] = padLo[d] + size[d] + padHi[d]',
      'for i3 < n[3], i2 < n[2], i1 < n[1], i0 < n[0]:',
      '  dst = sramAddr + i0 + i1*ss1 + i2*ss2 + i3*ss3',
      '  if padLo[d] <= i[d] < padLo[d] + size[d] for every d:',
      '    j = i - padLo',
      '    SRAM.u8[dst] = DRAM.u8[dramAddr + j0 + j1*ds1 + j2*ds2 + j3*ds3]',
      '  else:',
      '    SRAM.u8[dst] = fill',
    ].join('\n'),
    fields: [
      channel,
      dram('dramAddr', 'first byte of the source box'),
      sram('sramAddr', 'first byte of the padded destination box'),
      ...sizes,
      u('fill', 8, 'byte written into padding (e.g. the input zero point as a raw byte)'),
      k8('padLo0', 'padding bytes before dim 0'),
      k8('padHi0', 'padding bytes after dim 0'),
      k8('padLo1', 'padding rows before dim 1'),
      k8('padHi1', 'padding rows after dim 1'),
      k8('padLo2', 'padding before dim 2'),
      k8('padHi2', 'padding after dim 2'),
      k8('padLo3', 'padding before dim 3'),
      k8('padHi3', 'padding after dim 3'),
    ],
  },
  {
    mnemonic: 'dma.store',
    opcode: 0x12,
    engine: 'dma',
    doc: 'Copies a 4-D strided box SRAM -> DRAM (no padding).',
    semantics: [
      'ch = channel; (ds1, ds2, ds3) = dramStride[ch]; (ss1, ss2, ss3) = sramStride[ch]',
      'for i3 < size3, i2 < size2, i1 < size1, i0 < size0:',
      '  DRAM.u8[dramAddr + i0 + i1*ds1 + i2*ds2 + i3*ds3] = SRAM.u8[sramAddr + i0 + i1*ss1 + i2*ss2 + i3*ss3]',
    ].join('\n'),
    fields: [
      channel,
      sram('sramAddr', 'first byte of the source box'),
      dram('dramAddr', 'first byte of the destination box'),
      ...sizes,
    ],
  },
  // ---- MAC engine: convolution and matrix multiplication with the fused epilogue --------------------------------
  {
    mnemonic: 'mac.shape',
    opcode: 0x20,
    engine: 'mac',
    doc: 'Sets the convolution geometry used by later conv instructions.',
    semantics:
      'macShape = { inC, inH, inW, outC, kH, kW, strideH, strideW, dilH, dilW, padT, padL, padB, padR, groups }',
    fields: [
      dim('inC', 'input channels'),
      dim('inH', 'input height'),
      dim('inW', 'input width (row length in SRAM)'),
      dim('outC', 'output channels'),
      k8('kH', 'kernel height'),
      k8('kW', 'kernel width'),
      k8('strideH', 'vertical stride'),
      k8('strideW', 'horizontal stride'),
      k8('dilH', 'vertical dilation'),
      k8('dilW', 'horizontal dilation'),
      k8('padT', 'implicit padding rows on top (value inZp)'),
      k8('padL', 'implicit padding columns on the left'),
      k8('padB', 'implicit padding rows at the bottom'),
      k8('padR', 'implicit padding columns on the right'),
      dim('groups', 'groups; inC and outC are multiples of it (depthwise: groups = inC = outC)'),
    ],
  },
  {
    mnemonic: 'mac.quant',
    opcode: 0x21,
    engine: 'mac',
    doc: 'Sets the operand types, zero points, bias, requantization table and activation of later conv and gemm instructions (the epilogue).',
    semantics: [
      'macQuant = { inType, wType, outType, inZp, wZp, outZp, useBias, biasAddr, requantAddr, act, clipLo, clipHi, lutAddr }',
      'epilogue(acc, c):                     # acc: int32, c: output channel',
      '  if useBias: acc = wrap32(acc + SRAM.i32[biasAddr + 4*c])',
      "  if requant == 'float':              # hardware config; ONNX Runtime semantics",
      '    m = SRAM.f32[requantAddr + 4*c]',
      '    q = roundHalfEven(fround(fround(acc) * m)) + outZp',
      "  else:                               # 'fixed': TFLite semantics",
      '    (M, sh) = (SRAM.i32[requantAddr + 8*c], SRAM.i32[requantAddr + 8*c + 4])',
      '    q = multiplyByQuantizedMultiplier(acc, M, sh) + outZp',
      '  q = saturate(q, outType)',
      "  act 'none': return q",
      "  act 'relu': return max(q, outZp)",
      "  act 'clip': return min(max(q, clipLo), clipHi)",
      "  act 'lut':  return SRAM.outType[lutAddr + q - min(outType)]",
    ].join('\n'),
    fields: [
      qtype('inType', 'activation (conv input, gemm A) type'),
      qtype('wType', 'weight (gemm B) type'),
      qtype('outType', 'output type'),
      q9('inZp', 'activation zero point'),
      q9('wZp', 'weight zero point'),
      q9('outZp', 'output zero point of the requantized value'),
      u('useBias', 1, '1: add the int32 bias table'),
      sram('biasAddr', 'int32 bias per output channel'),
      sram(
        'requantAddr',
        "per output channel: float32 multiplier ('float') or int32 multiplier, int32 shift ('fixed')",
      ),
      en('act', 2, ['none', 'relu', 'clip', 'lut'] as const, 'activation after requantization'),
      q9('clipLo', "lower bound for act 'clip'"),
      q9('clipHi', "upper bound for act 'clip'"),
      sram('lutAddr', "256-entry table for act 'lut' (sigmoid, tanh, leaky relu, gelu, ...)"),
    ],
  },
  {
    mnemonic: 'conv',
    opcode: 0x22,
    engine: 'mac',
    doc: 'Fused 2-D convolution (grouped and depthwise included) of one CHW tile: int8 x int8 -> int32 -> epilogue. Layouts: input [inC][inH][inW], weights [outC][inC/groups][kH][kW], output [outC][outH][outW]; rows contiguous, channels inCStride/outCStride bytes apart. Reads the mac.shape and mac.quant state.',
    semantics: [
      'outH = (inH + padT + padB - dilH*(kH-1) - 1) / strideH + 1     # floor division; outW alike',
      'Cg = inC / groups; Kg = outC / groups',
      'for oc < outC, oy < outH, ox < outW:',
      '  g = oc / Kg; acc = 0',
      '  for ic < Cg, ky < kH, kx < kW:',
      '    iy = oy*strideH - padT + ky*dilH; ix = ox*strideW - padL + kx*dilW',
      '    x = (0 <= iy < inH and 0 <= ix < inW) ? SRAM.inType[inAddr + (g*Cg + ic)*inCStride + iy*inW + ix] : inZp',
      '    w = SRAM.wType[weightAddr + ((oc*Cg + ic)*kH + ky)*kW + kx]',
      '    acc = wrap32(acc + (x - inZp) * (w - wZp))',
      '  SRAM.outType[outAddr + oc*outCStride + oy*outW + ox] = epilogue(acc, oc)',
    ].join('\n'),
    fields: [
      sram('inAddr', 'input tile'),
      sram('weightAddr', 'weights'),
      sram('outAddr', 'output tile'),
      u('inCStride', STRIDE_BITS, 'bytes between input channels (>= inH*inW)'),
      u('outCStride', STRIDE_BITS, 'bytes between output channels (>= outH*outW)'),
    ],
  },
  {
    mnemonic: 'gemm',
    opcode: 0x23,
    engine: 'mac',
    doc: 'Matrix multiplication out = epilogue(A x transpose(B)), A [m][k], B stored transposed as [n][k] (one row of k per output column); the epilogue channel is the column. Reads the mac.quant state.',
    semantics: [
      'for i < m, j < n:',
      '  acc = 0',
      '  for t < k: acc = wrap32(acc + (SRAM.inType[aAddr + i*aRowStride + t] - inZp) * (SRAM.wType[bAddr + j*k + t] - wZp))',
      '  SRAM.outType[outAddr + i*outRowStride + j] = epilogue(acc, j)',
    ].join('\n'),
    fields: [
      sram('aAddr', 'A, m rows'),
      sram('bAddr', 'B, n rows of k bytes'),
      sram('outAddr', 'output, m rows'),
      dim('m', 'rows of A and of the output'),
      dim('n', 'output columns (rows of B)'),
      dim('k', 'reduction length'),
      stride('aRowStride', 'between rows of A'),
      stride('outRowStride', 'between output rows'),
    ],
  },
  // ---- Vector engine: element-wise, pooling, LUT, moves --------------------------------------------------------------
  {
    mnemonic: 'vec.scale',
    opcode: 0x30,
    engine: 'vector',
    doc: "Sets the rescale parameters of later vector instructions: the f32 fields in requant mode 'float', the multiplier/shift fields in mode 'fixed'.",
    semantics:
      'vecScale = { scaleA, scaleB, scaleOut, multA, shiftA, multB, shiftB, multOut, shiftOut, leftShift }',
    fields: [
      f32('scaleA', 'scale of input A'),
      f32('scaleB', 'scale of input B'),
      f32('scaleOut', 'scale of the output'),
      s('multA', 32, 'fixed-point multiplier of A'),
      s('multB', 32, 'fixed-point multiplier of B'),
      s('multOut', 32, 'fixed-point multiplier of the output'),
      s('shiftA', 6, 'shift of multA'),
      s('shiftB', 6, 'shift of multB'),
      s('shiftOut', 6, 'shift of multOut'),
      u('leftShift', 5, 'left shift applied to both inputs before rescaling (TFLite ADD uses 20)'),
    ],
  },
  {
    mnemonic: 'vec.zp',
    opcode: 0x31,
    engine: 'vector',
    doc: 'Sets the operand types, zero points and output clamp range of later vector instructions.',
    semantics:
      'vecZp = { typeA, typeB, typeOut, zpA, zpB, zpOut, clipLo, clipHi, countPad }\nclampOut(q) = min(max(saturate(q, typeOut), clipLo), clipHi)',
    fields: [
      qtype('typeA', 'type of input A'),
      qtype('typeB', 'type of input B'),
      qtype('typeOut', 'type of the output'),
      q9('zpA', 'zero point of A'),
      q9('zpB', 'zero point of B'),
      q9('zpOut', 'zero point of the output'),
      q9('clipLo', 'lowest output value (fused relu / clip)'),
      q9('clipHi', 'highest output value'),
      u('countPad', 1, '1: average pooling divides by the full window including padding'),
    ],
  },
  {
    mnemonic: 'vec.add',
    opcode: 0x32,
    engine: 'vector',
    doc: 'out = A + B with per-input rescale (QLinearAdd); B can be broadcast as a scalar or one value per row (per channel in CHW). Reads the vec.scale and vec.zp state.',
    semantics: [
      'for i < n:',
      "  a = SRAM.typeA[aAddr + i]; b = SRAM.typeB[bAddr + (bMode == 'elementwise' ? i : bMode == 'scalar' ? 0 : i / rowLen)]",
      "  if requant == 'float': q = roundHalfEven(fround(fround(scaleA*(a - zpA)) + fround(scaleB*(b - zpB)))) + zpOut",
      '      # the compiler sets scaleA = fround(sA/sOut), scaleB = fround(sB/sOut) and scaleOut = 1 (QLinearAdd)',
      '  else: q = MBQM(MBQM((a - zpA) << leftShift, multA, shiftA) + MBQM((b - zpB) << leftShift, multB, shiftB), multOut, shiftOut) + zpOut',
      '  SRAM.typeOut[outAddr + i] = clampOut(q)',
    ].join('\n'),
    fields: [
      sram('aAddr', 'input A'),
      sram('bAddr', 'input B'),
      sram('outAddr', 'output'),
      u('n', 32, 'elements'),
      en('bMode', 2, ['elementwise', 'scalar', 'perrow'] as const, 'how B is indexed'),
      u('rowLen', 24, "elements per row for bMode 'perrow'"),
    ],
  },
  {
    mnemonic: 'vec.mul',
    opcode: 0x33,
    engine: 'vector',
    doc: 'out = A * B with rescale (QLinearMul); B broadcast as in vec.add. Reads the vec.scale and vec.zp state.',
    semantics: [
      'for i < n:',
      '  a, b as in vec.add',
      "  if requant == 'float': ratio = fround(fround(scaleA*scaleB) / scaleOut)",
      '                         q = roundHalfEven(fround(fround((a - zpA)*(b - zpB)) * ratio)) + zpOut',
      '  else: q = MBQM((a - zpA)*(b - zpB), multOut, shiftOut) + zpOut',
      '  SRAM.typeOut[outAddr + i] = clampOut(q)',
    ].join('\n'),
    fields: [
      sram('aAddr', 'input A'),
      sram('bAddr', 'input B'),
      sram('outAddr', 'output'),
      u('n', 32, 'elements'),
      en('bMode', 2, ['elementwise', 'scalar', 'perrow'] as const, 'how B is indexed'),
      u('rowLen', 24, "elements per row for bMode 'perrow'"),
    ],
  },
  {
    mnemonic: 'vec.pool',
    opcode: 0x34,
    engine: 'vector',
    doc: "Max, average or global-average pooling of a [c][h][w] tile (input type typeA, output typeOut). 'gavg' ignores the window fields (window = h x w, output [c][1][1]). Reads the vec.scale and vec.zp state.",
    semantics: [
      'outH = (h + padT + padB - kH) / strideH + 1; outW alike     # gavg: kH = h, kW = w, no padding',
      'for ch < c, oy < outH, ox < outW:',
      '  taps = in-bounds (iy, ix) of the window at (oy*strideH - padT, ox*strideW - padL)',
      "  max:  q = max over taps of x                               # no rescale: output shares A's parameters",
      '  avg:  count = countPad ? kH*kW : |taps|',
      '        float: q = roundHalfEven(fround(fround(fround(sum over taps of fround(scaleA*(x - zpA))) / count) / scaleOut) + zpOut)',
      '        fixed: q = roundHalfAwayFromZero(sum over taps of x / count)          # TFLite raw-value average;',
      '               padded taps (countPad) add the raw zpA; needs equal input and output scale and zero point',
      '  gavg: float: q = roundHalfEven(fround(fround(sum(x - zpA)) * fround(scaleA / fround(scaleOut*count)))) + zpOut',
      '        fixed: q = MBQM(sum(x - zpA), multOut, shiftOut) + zpOut',
      '  SRAM.typeOut[outAddr + (ch*outH + oy)*outW + ox] = clampOut(q)',
    ].join('\n'),
    fields: [
      en('kind', 2, ['max', 'avg', 'gavg'] as const, 'pooling kind'),
      sram('inAddr', 'input [c][h][w]'),
      sram('outAddr', 'output [c][outH][outW]'),
      dim('c', 'channels'),
      dim('h', 'input height'),
      dim('w', 'input width'),
      k8('kH', 'window height'),
      k8('kW', 'window width'),
      k8('strideH', 'vertical stride'),
      k8('strideW', 'horizontal stride'),
      k8('padT', 'padding rows on top'),
      k8('padL', 'padding columns on the left'),
      k8('padB', 'padding rows at the bottom'),
      k8('padR', 'padding columns on the right'),
    ],
  },
  {
    mnemonic: 'vec.lut',
    opcode: 0x35,
    engine: 'vector',
    doc: 'Table lookup: each element indexes a 256-entry table (sigmoid, tanh, hardswish, gelu, leaky relu, requantization). Reads typeA and typeOut of the vec.zp state.',
    semantics:
      'for i < n: SRAM.typeOut[outAddr + i] = SRAM.typeOut[lutAddr + SRAM.typeA[inAddr + i] - min(typeA)]',
    fields: [
      sram('inAddr', 'input'),
      sram('outAddr', 'output'),
      sram('lutAddr', '256-entry table'),
      u('n', 32, 'elements'),
    ],
  },
  {
    mnemonic: 'vec.movecfg',
    opcode: 0x36,
    engine: 'vector',
    doc: 'Sets the byte strides of dims 1..3 used by later vec.move instructions.',
    semantics:
      'srcStride = (srcStride1, srcStride2, srcStride3); dstStride = (dstStride1, dstStride2, dstStride3)',
    fields: [
      stride('srcStride1', 'source, dim 1'),
      stride('srcStride2', 'source, dim 2'),
      stride('srcStride3', 'source, dim 3'),
      stride('dstStride1', 'destination, dim 1'),
      stride('dstStride2', 'destination, dim 2'),
      stride('dstStride3', 'destination, dim 3'),
    ],
  },
  {
    mnemonic: 'vec.move',
    opcode: 0x37,
    engine: 'vector',
    doc: 'Strided 4-D copy inside SRAM (concat, slice, transpose, layout changes); dim 0 is contiguous bytes on both sides (size0 = 1 for an int8 transpose).',
    semantics: [
      'for i3 < size3, i2 < size2, i1 < size1, i0 < size0:',
      '  SRAM.u8[dstAddr + i0 + i1*dstStride1 + i2*dstStride2 + i3*dstStride3] =',
      '    SRAM.u8[srcAddr + i0 + i1*srcStride1 + i2*srcStride2 + i3*srcStride3]     # reads before writes if overlapping',
    ].join('\n'),
    fields: [sram('srcAddr', 'source'), sram('dstAddr', 'destination'), ...sizes],
  },
  {
    mnemonic: 'vec.clamp',
    opcode: 0x38,
    engine: 'vector',
    doc: 'Clamps elements to [lo, hi] (Clip/Relu between tensors with equal quantization parameters).',
    semantics: 'for i < n: SRAM.type[outAddr + i] = min(max(SRAM.type[inAddr + i], lo), hi)',
    fields: [
      sram('inAddr', 'input'),
      sram('outAddr', 'output'),
      u('n', 32, 'elements'),
      qtype('type', 'element type'),
      q9('lo', 'lower bound'),
      q9('hi', 'upper bound'),
    ],
  },
  // ---- Control -------------------------------------------------------------------------------------------------------
  {
    mnemonic: 'sync',
    opcode: 0xf0,
    engine: 'ctrl',
    doc: 'Barrier in the dispatcher: no later instruction is dispatched until the wait semaphores are acquired; then signals.',
    semantics: 'acquire(wait) in the dispatcher; release(signal)',
    fields: [],
  },
  {
    mnemonic: 'halt',
    opcode: 0xff,
    engine: 'ctrl',
    doc: 'Ends the program once every engine queue has drained.',
    semantics:
      'acquire(wait); wait until all engines are idle and all queues are empty; release(signal); stop',
    fields: [],
  },
] as const satisfies readonly InstructionSpec[];

type Spec = (typeof INSTRUCTIONS)[number];
export type Mnemonic = Spec['mnemonic'];
type FieldValue<F> = F extends { kind: 'enum'; values: readonly (infer V)[] } ? V : number;
type ArgsOf<S extends Spec> = { readonly [F in S['fields'][number] as F['name']]: FieldValue<F> };
/** A decoded instruction: its mnemonic as `op`, the sync masks and its own fields, typed per mnemonic. */
export type Instruction = {
  [S in Spec as S['mnemonic']]: {
    readonly op: S['mnemonic'];
    readonly wait: number;
    readonly signal: number;
  } & ArgsOf<S>;
}[Mnemonic];
export type InstructionOf<M extends Mnemonic> = Extract<Instruction, { op: M }>;
