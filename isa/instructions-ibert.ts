// The ISA table's I-BERT row kernels (vec.softmax, vec.layernorm, vec.gelu): entries of isa/instructions.ts, kept
// apart because their semantics are long; the table itself stays one list.
import { dim, sram, stride, u } from './fields.js';
import type { InstructionSpec } from './format.js';

/** vec.softmax, vec.layernorm and vec.gelu: int8 rows in and out, integer constants in a parameter block. */
const IBERT_ROW_FIELDS = [
  sram('inAddr', 'input rows (int8 or uint8, as the parameter block says)'),
  sram('outAddr', 'output rows'),
  sram(
    'paramAddr',
    'parameter block: int32 words, 4-byte aligned (isa/ibert-params.ts, docs/hardware-model.md)',
  ),
  u('rows', 24, 'rows'),
  dim('len', 'elements per row (the normalized axis)'),
  stride('inRowStride', 'between input rows'),
  stride('outRowStride', 'between output rows'),
] as const;
const IBERT_ROWS_DOC =
  'All input rows are read before any output is written. Faults: len 0, an SRAM range outside the SRAM, a parameter block of another kind or failing validation (NPU4009).';
const IBERT_IO = [
  'P = decoded parameter block at paramAddr    # inType, outType, xZp, yZp, expand, kernel constants, requant',
  'x(r, i) = (SRAM.inType[inAddr + r*inRowStride + i] - xZp) << expand      # widening, int32',
  'store(r, i, v, c) = SRAM.outType[outAddr + r*outRowStride + i] = saturate(rq(negate[c] ? -v : v, c) + yZp, outType)',
  "  rq 'float': roundHalfEven(fround(fround(acc) * floatMult[c]))   'fixed': MBQM(acc, fixedMult[c], fixedShift[c])",
].join('\n');

export const IBERT_INSTRUCTIONS = [
  {
    mnemonic: 'vec.softmax',
    opcode: 0x39,
    engine: 'vector',
    doc: `Integer softmax along each row (I-BERT i-Softmax, bit-exact with runInt8ISoftmax): max reduction, i-exp, 16-bit requantization, sum reduction, one division, normalization, output requantization. len <= ${2 ** 15 - 1}. ${IBERT_ROWS_DOC}`,
    semantics: [
      IBERT_IO,
      'for r < rows:',
      '  mx = max over i < len of x(r, i)                                  # pass 1: max reduction',
      '  for i < len:                                                      # pass 2: i-exp, sum reduction',
      '    d = max(x(r, i) - mx, 30*x0Int); z = floor(d / x0Int); t = d - x0Int*z',
      '    p = t*(t + bInt) + cInt',
      '    e[i] = clamp(roundHalfEven(p*expM / 2^(expShift + z - 30)), -2^15, 2^15 - 1)   # 64-bit product',
      '  sum = e[0] + ... + e[len-1]; f = floor(2^32 / sum)                # one division (sum > 0, else fault)',
      '  for i < len: store(r, i, floor(e[i]*f / 2^(32 - outputBits)), 0)  # pass 3: normalize, requantize',
    ].join('\n'),
    fields: IBERT_ROW_FIELDS,
  },
  {
    mnemonic: 'vec.layernorm',
    opcode: 0x3a,
    engine: 'vector',
    doc: `Integer LayerNorm over each row with per-column gamma/beta folded into the block (I-BERT i-LayerNorm, bit-exact with runInt8ILayerNorm): mean reduction, variance reduction with a dynamic shift, integer square root by Newton steps, one division, normalization, output requantization. len must equal the block's dim. ${IBERT_ROWS_DOC}`,
    semantics: [
      IBERT_IO,
      'for r < rows:',
      '  mean = roundHalfEven((x(r, 0) + ... + x(r, len-1)) / len)         # pass 1: sum reduction, one division',
      '  y[i] = x(r, i) - mean',
      '  s = 0; while (v = sum over i of floor(y[i] / 2^s)^2) >= 2^31: s += 1   # variance passes (s + 1 of them)',
      '  if v == 0: std = 0',
      '  else: g = 2^ceil(bits(v)/2)                                       # i-sqrt: Newton steps, one division each',
      '        repeat g2 = floor((g + floor(v / g)) / 2); if g2 >= g: break; g = g2',
      '        std = g * 2^s',
      '  f = std == 0 ? 2^31 - 1 : floor((2^31 - 1) / std)                 # one division',
      '  for i < len:                                                      # last pass: normalize, requantize per column',
      '    store(r, i, sat32(floor(y[i]*f / 2^(1 + headroom)) + biasInt[i]), i)      # 64-bit product',
    ].join('\n'),
    fields: IBERT_ROW_FIELDS,
  },
  {
    mnemonic: 'vec.gelu',
    opcode: 0x3b,
    engine: 'vector',
    doc: `Integer GELU of each element (I-BERT i-GELU, bit-exact with runInt8IGelu): clipped second-order integer polynomial (erf), shift, multiply, output requantization. The same function is also a 256-entry vec.lut table (see docs/ibert.md). ${IBERT_ROWS_DOC}`,
    semantics: [
      IBERT_IO,
      'for r < rows, i < len:',
      '  q = x(r, i)',
      '  t = min(|q|, clip) + bInt',
      '  y = sign(q) * (t*t + cInt)                                        # integer polynomial; sign(0) = 0',
      '  y = floor(y / 2^shift)                                            # arithmetic shift',
      '  store(r, i, q*(y + one), 0)',
    ].join('\n'),
    fields: IBERT_ROW_FIELDS,
  },
] as const satisfies readonly InstructionSpec[];
