// The three rounding functions of quantized arithmetic: half to even, half away from zero, half up.

// All three work on |x| split into floor and fraction. For |x| >= 0, `a - Math.floor(a)` is exact
// (Sterbenz: floor(a) >= a/2 once a >= 1, and floor is 0 below 1), so a fraction of exactly 0.5 is a real tie
// and 0.49999999999999994 stays below it (the classic floor(x + 0.5) bug rounds it up to 1).
// Values with |x| >= 2^52 are already integers (fraction 0). NaN and ±Infinity pass through.

function split(x: number): [floorAbs: number, frac: number] {
  const a = Math.abs(x);
  const f = Math.floor(a);
  return [f, a - f];
}

/** Round half to even (numpy rint, nearbyintf, x86 cvtps2dq): ONNX QuantizeLinear and ORT requantization. */
export function rhe(x: number): number {
  if (!Number.isFinite(x)) return x;
  const [f, d] = split(x);
  const r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return x < 0 ? -r + 0 : r; // `+ 0` turns -0 into 0
}

/** Round half away from zero (C round, TfLiteRound): TFLite QuantizeMultiplier and QUANTIZE. */
export function rhaz(x: number): number {
  if (!Number.isFinite(x)) return x;
  const [f, d] = split(x);
  const r = d >= 0.5 ? f + 1 : f;
  return x < 0 ? -r + 0 : r;
}

/** Round half up = floor(x + 0.5) computed exactly (ties toward +Infinity): gemmlowp SRDHM, NEON VRSHL. */
export function rhu(x: number): number {
  if (!Number.isFinite(x)) return x;
  const [f, d] = split(x);
  // for negative x a tie (d = 0.5) goes toward +Infinity, i.e. toward zero in magnitude
  if (x >= 0) return d >= 0.5 ? f + 1 : f;
  return -(d > 0.5 ? f + 1 : f) + 0;
}
