// Differential test: QuantizeLinear (float32 -> int8/uint8) in the reference interpreter vs onnxruntime CPU.
// MLAS computes fround(x / scale) (a float32 DIVISION, not a multiply by 1/scale), clamps and rounds half to
// even; the reference must give IDENTICAL integers, per-tensor and per-axis, including exact ties
// ((k + 0.5) * 2^e), values exactly on integers, saturation far outside the range, and arbitrary scales.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, it } from 'vitest';
import { INT_RANGE, sizeOf } from '../../common/tensor.js';
import type { Tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import { type QType, pow2ScaleArb, qtypeArb, scaleArb, seedArb } from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { describeDiff, diffTensors, ortOptionsFor, runOrt } from '../helpers/ort.js';

interface QuantCase {
  shape: number[];
  qtype: QType;
  /** -1: per-tensor; otherwise the quantization axis (given as a negative index when `negativeAxis`). */
  axis: number;
  negativeAxis: boolean;
  pow2: boolean;
  scale: number;
  pow2Scale: number;
  /** uint8 only: leave out y_zero_point (defaults to uint8 0). */
  omitZp: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<QuantCase> = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    qtype: qtypeArb,
    axisPick: fc.integer({ min: -3, max: 3 }),
    negativeAxis: fc.boolean(),
    pow2: fc.boolean(),
    scale: scaleArb(-12, 4),
    pow2Scale: pow2ScaleArb(-12, 4),
    omitZp: fc.boolean(),
    seed: seedArb,
  })
  .map(({ axisPick, ...r }) => ({ ...r, axis: axisPick < 0 ? -1 : axisPick % r.shape.length }));

/** Values designed to hit every rounding/clamping branch: ties, integers, in-range, saturating. */
function makeInput(
  c: QuantCase,
  scaleAt: (i: number) => number,
  zpAt: (i: number) => number,
): Tensor<'float32'> {
  const rng = seedrandom(`quant:${c.seed}`);
  const [qmin, qmax] = INT_RANGE[c.qtype];
  const n = sizeOf(c.shape);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = scaleAt(i);
    const zp = zpAt(i);
    const k = qmin - zp - 3 + Math.floor(rng() * (qmax - qmin + 7)); // q - zp, a little beyond the range
    const kind = rng();
    if (kind < 0.35)
      data[i] = (k + 0.5) * s; // exact tie when s is a power of two
    else if (kind < 0.5) data[i] = k * s;
    else if (kind < 0.9) data[i] = (k + rng()) * s;
    else data[i] = (rng() < 0.5 ? -1 : 1) * (qmax - qmin) * s * (1 + 10 * rng()); // saturates
  }
  return { dtype: 'float32', shape: [...c.shape], data };
}

function buildCase(c: QuantCase) {
  const rng = seedrandom(`quant-params:${c.seed}`);
  const perAxis = c.axis >= 0;
  const channels = perAxis ? c.shape[c.axis] : 1;
  const base = c.pow2 ? c.pow2Scale : c.scale;
  const scales = Array.from({ length: channels }, (_, i) =>
    i === 0
      ? base
      : c.pow2
        ? base * 2 ** Math.floor(3 * rng() - 1)
        : Math.fround(base * 2 ** (2 * rng() - 1)),
  );
  const omitZp = c.omitZp && c.qtype === 'uint8';
  const [qmin, qmax] = INT_RANGE[c.qtype];
  const zps = Array.from({ length: channels }, () =>
    omitZp ? 0 : qmin + Math.floor(rng() * (qmax - qmin + 1)),
  );

  const inner = perAxis ? c.shape.slice(c.axis + 1).reduce((a, b) => a * b, 1) : 1;
  const channelOf = (i: number): number => (perAxis ? Math.floor(i / inner) % channels : 0);
  const x = makeInput(
    c,
    (i) => scales[channelOf(i)],
    (i) => zps[channelOf(i)],
  );

  const b = new ModelBuilder().input('x', 'float32', c.shape);
  if (perAxis) b.vector('y_scale', 'float32', scales);
  else b.scalar('y_scale', 'float32', scales[0]);
  if (!omitZp && perAxis) b.vector('y_zp', c.qtype, zps);
  else if (!omitZp) b.scalar('y_zp', c.qtype, zps[0]);
  const attrs: Record<string, Attr> = perAxis
    ? { axis: A.int(c.negativeAxis ? c.axis - c.shape.length : c.axis) }
    : {};
  b.node(
    'QuantizeLinear',
    omitZp ? ['x', 'y_scale'] : ['x', 'y_scale', 'y_zp'],
    ['y'],
    attrs,
  ).output('y', c.qtype);
  return { model: b.build(), feeds: { x } };
}

describe('QuantizeLinear: reference vs onnxruntime CPU', () => {
  it('gives identical integers (ties, saturation, per-tensor and per-axis)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { model, feeds } = buildCase(c);
        const theirs = (await runOrt(model, feeds, ortOptionsFor(c.qtype))).y;
        const ours = runModel(model, feeds).y;
        const d = diffTensors(ours, theirs);
        if (d.exact !== d.count) {
          const at = d.first!.index;
          throw new Error(
            `QuantizeLinear mismatch: ${describeDiff(d)}; x there = ${feeds.x.data[at]}`,
          );
        }
      }),
      { seed: 0x5eed04, numRuns: 100 },
    );
  });
});
