// Prints the error table of the I-BERT integer kernels against float math, and the widest intermediate per step.
// Usage: npx tsx scripts/ibert-error-report.ts   (the table in docs/ibert.md comes from this output)

import type { RequantMode } from '../reference/kernel.js';
import type { ErrorStats, Int8Error } from '../reference/ibert/accuracy.js';
import {
  expPoly,
  geluFloat,
  geluPoly,
  gridError,
  iExpError,
  iGeluError,
  iLayerNormError,
  int8GeluError,
  int8LayerNormError,
  int8SoftmaxError,
} from '../reference/ibert/accuracy.js';
import { recordingCheck } from '../reference/ibert/int-arith.js';
import type { QuantInfo } from '../reference/ibert/int8-io.js';

const f32 = Math.fround;
const fmt = (v: number): string => v.toExponential(2);
const rows: string[] = [];
const row = (kernel: string, config: string, s: ErrorStats, ideal?: ErrorStats): void => {
  const id = ideal === undefined ? '' : `${fmt(ideal.max)} / ${fmt(ideal.mean)}`;
  rows.push(`| ${kernel} | ${config} | ${fmt(s.max)} | ${fmt(s.mean)} | ${id} |`);
};
const row8 = (kernel: string, config: string, e: Int8Error): void => {
  row(kernel, config, e.kernel, e.ideal);
};

row(
  'GELU poly (double, no quantization)',
  'x in [−4, 4], step 1e−4',
  gridError(geluPoly, geluFloat, -4, 4, 1e-4),
);
for (const S of [2e-4, 1e-3, 1e-2])
  row('i-GELU int32', `S = ${S}, every code in [−4, 4]`, iGeluError(S, 4));
row(
  'exp poly (double)',
  'x in [−ln2, 0], step 1e−6',
  gridError(expPoly, Math.exp, -0.6931, 0, 1e-6),
);
for (const S of [1e-4, 1e-3, 1e-2])
  row('i-exp int32', `S = ${S}, every code in [−8, 0]`, iExpError(S, 8));
for (const sigma of [16, 256, 4096])
  row(
    'i-LayerNorm int32 (γ=1, β=0)',
    `dim 768, σ = ${sigma} codes, 64 rows`,
    iLayerNormError(768, 64, sigma, `ln${sigma}`),
  );

const q = (scale: number, zeroPoint: number): QuantInfo => ({
  scale: f32(scale),
  zeroPoint,
  dtype: 'int8',
});
const geluX = q(4 / 127, 0);
const geluY = q(4.2 / 255, -118);
const smX = q(0.1, 0);
const smY = q(1 / 256, -128);
const lnX = q(0.05, 3);
const lnY = q(6 / 127, 0);
const widths = new Map<string, Map<string, bigint>>();
const track = (name: string): ReturnType<typeof recordingCheck> => {
  const rc = recordingCheck();
  widths.set(name, rc.steps);
  return rc;
};
for (const mode of ['fixed', 'float'] as RequantMode[]) {
  row8(
    `i-GELU int8 (${mode})`,
    'x 4/127 zp 0 → y 4.2/255 zp −118, all 256 codes',
    int8GeluError(geluX, geluY, mode, track('i-GELU').check),
  );
  for (const bits of [8, 16])
    row8(
      `i-Softmax int8 (${mode}, output_bits ${bits})`,
      'x 0.1 zp 0 → y 1/256 zp −128, 256 rows of 128',
      int8SoftmaxError(smX, smY, mode, bits, 128, 256, 'sm', track('i-Softmax').check),
    );
  row8(
    `i-LayerNorm int8 (${mode})`,
    'x 0.05 zp 3 → y 6/127 zp 0, dim 768, 64 rows',
    int8LayerNormError(lnX, lnY, mode, 768, 64, 'ln', track('i-LayerNorm').check),
  );
}

console.log('| kernel | input | max abs err | mean abs err | best int8 output: max / mean |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(
  '\nWidest intermediate (bits of |value|, rounded up) per step, int8 configurations above:\n',
);
for (const [name, steps] of widths) {
  const parts = [...steps].map(([step, v]) => `${step} ${v === 0n ? 0 : v.toString(2).length}`);
  console.log(`- ${name}: ${parts.join(', ')}`);
}
