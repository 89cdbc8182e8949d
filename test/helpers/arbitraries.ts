// fast-check arbitraries for the differential tests: quantization parameters, conv geometry, seeded tensors.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, allocData, sizeOf } from '../../common/tensor.js';

export type QType = 'int8' | 'uint8';

export const qtypeArb: fc.Arbitrary<QType> = fc.constantFrom('int8', 'uint8');

/** A float32 scale 2^u with u uniform in [lo, hi]: spans several octaves, never exactly a power of two. */
export const scaleArb = (lo = -10, hi = -2): fc.Arbitrary<number> =>
  fc
    .double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true })
    .map((u) => Math.fround(2 ** u));

/** A power-of-two scale (exact ties are then representable: (k + 0.5) * scale). */
export const pow2ScaleArb = (lo = -10, hi = 2): fc.Arbitrary<number> =>
  fc.integer({ min: lo, max: hi }).map((e) => 2 ** e);

export const zpArb = (dtype: QType): fc.Arbitrary<number> =>
  fc.integer({ min: INT_RANGE[dtype][0], max: INT_RANGE[dtype][1] });

/** A seed for tensor data: keeps counterexamples short (the data is a pure function of the seed). */
export const seedArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0x7fffffff });

/** Integer tensor of a given dtype, values uniform in [lo, hi] (default: the full dtype range). */
export function randomIntTensor(
  dtype: QType | 'int32',
  shape: readonly number[],
  seed: number,
  lo: number = INT_RANGE[dtype][0],
  hi: number = INT_RANGE[dtype][1],
): Tensor {
  const rng = seedrandom(`int:${seed}`);
  const n = sizeOf(shape);
  const data = allocData(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + Math.floor(rng() * (hi - lo + 1));
  return { dtype, shape: [...shape], data };
}

/** float32 tensor, values uniform in [lo, hi). */
export function randomFloatTensor(
  shape: readonly number[],
  seed: number,
  lo: number,
  hi: number,
): Tensor<'float32'> {
  const rng = seedrandom(`float:${seed}`);
  const n = sizeOf(shape);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + rng() * (hi - lo);
  return { dtype: 'float32', shape: [...shape], data };
}

// ---- conv geometry ----

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface ConvGeometry {
  n: number;
  cIn: number;
  cOut: number;
  group: number;
  /** [H, W] of the input. */
  spatial: [number, number];
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right], ONNX order; all zero when autoPad is not NOTSET. */
  pads: [number, number, number, number];
  dilations: [number, number];
  autoPad: AutoPad;
}

const kernelDim = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 5 }) },
  { weight: 1, arbitrary: fc.constant(7) },
);

const groupingArb = fc.oneof(
  // dense
  {
    weight: 3,
    arbitrary: fc.record({
      group: fc.constant(1),
      cinPerG: fc.integer({ min: 1, max: 16 }),
      coutPerG: fc.integer({ min: 1, max: 16 }),
    }),
  },
  // grouped
  {
    weight: 1,
    arbitrary: fc.record({
      group: fc.integer({ min: 2, max: 4 }),
      cinPerG: fc.integer({ min: 1, max: 4 }),
      coutPerG: fc.integer({ min: 1, max: 4 }),
    }),
  },
  // depthwise: group = C_in = C_out
  {
    weight: 2,
    arbitrary: fc.record({
      group: fc.integer({ min: 2, max: 16 }),
      cinPerG: fc.constant(1),
      coutPerG: fc.constant(1),
    }),
  },
);

/** Conv geometry whose output is at least 1x1; spatial <= 13 (grown to fit a dilated 7x7), channels <= 16. */
export const convGeometryArb: fc.Arbitrary<ConvGeometry> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    grouping: groupingArb,
    spatial: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
    kernel: fc.tuple(kernelDim, kernelDim),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pads: fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
    ),
    dilations: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    autoPad: fc.oneof(
      { weight: 12, arbitrary: fc.constant<AutoPad>('NOTSET') },
      { weight: 1, arbitrary: fc.constantFrom<AutoPad>('SAME_UPPER', 'SAME_LOWER', 'VALID') },
    ),
  })
  .map((r): ConvGeometry => {
    const { group, cinPerG, coutPerG } = r.grouping;
    const pads: [number, number, number, number] = r.autoPad === 'NOTSET' ? r.pads : [0, 0, 0, 0];
    // onnxruntime rejects dilations with SAME_UPPER / SAME_LOWER ("Dilation not supported for AutoPadType::SAME_*")
    const dilations: [number, number] = r.autoPad.startsWith('SAME') ? [1, 1] : r.dilations;
    // grow the input until the dilated kernel fits (SAME pads are derived from the input, so require a fit without pads)
    const spatial = r.spatial.map((s, i) => {
      const eff = (r.kernel[i] - 1) * dilations[i] + 1;
      const padded = r.autoPad === 'NOTSET' ? pads[i] + pads[i + 2] : 0;
      return Math.max(s, eff - padded);
    }) as [number, number];
    return {
      n: r.n,
      cIn: group * cinPerG,
      cOut: group * coutPerG,
      group,
      spatial,
      kernel: r.kernel,
      strides: r.strides,
      pads,
      dilations,
      autoPad: r.autoPad,
    };
  });

/** Number of accumulated products per output of a conv (C_in / group * kH * kW). */
export const convReduction = (g: ConvGeometry): number =>
  (g.cIn / g.group) * g.kernel[0] * g.kernel[1];
