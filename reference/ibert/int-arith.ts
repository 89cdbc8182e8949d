// Exact integer helpers of the I-BERT kernels and the check mode that proves every intermediate is an integer in range.

/**
 * Called with every intermediate value of a kernel, named by its step ('gelu.square', ...). `bits` is the
 * signed width the step is specified to fit: 32 for everything except the few products documented as 64-bit.
 */
export type IntCheck = (step: string, value: number | bigint, bits?: 32 | 64) => void;

/** The default: no checking (the kernels are then plain integer arithmetic on JS numbers). */
export const NO_CHECK: IntCheck = () => undefined;

/** A violation found by a recording check. */
export interface IntViolation {
  step: string;
  value: number | bigint;
  bits: 32 | 64;
}

/** A check that records every non-integer or out-of-range value (and the widest value seen per step). */
export function recordingCheck(): {
  check: IntCheck;
  violations: IntViolation[];
  steps: Map<string, bigint>;
} {
  const violations: IntViolation[] = [];
  const steps = new Map<string, bigint>();
  const check: IntCheck = (step, value, bits = 32) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      violations.push({ step, value, bits });
      return;
    }
    const v = BigInt(value);
    const lim = 1n << BigInt(bits - 1);
    if (v < -lim || v >= lim) violations.push({ step, value, bits });
    const abs = v < 0n ? -v : v;
    if (abs > (steps.get(step) ?? -1n)) steps.set(step, abs);
  };
  return { check, violations, steps };
}

/** ⌊a / b⌋ for integers, b ≠ 0, |a|, |b| < 2^52 (the rounded quotient is corrected to the exact floor). */
export function floorDiv(a: number, b: number): number {
  if (b < 0) return floorDiv(-a, -b);
  const q = Math.floor(a / b) + 0; // + 0: no −0
  // a / b is rounded; correct the rare case where the rounded quotient crosses an integer
  if (q * b > a) return q - 1;
  if ((q + 1) * b <= a) return q + 1;
  return q;
}

/** a / b rounded half to even (torch.round of an exact mean), integers, b > 0. */
export function rheDiv(a: number, b: number): number {
  const q = floorDiv(a, b);
  const twice = 2 * (a - q * b); // 2·remainder in [0, 2b)
  if (twice > b || (twice === b && q % 2 !== 0)) return q + 1;
  return q;
}

/** ⌊a · 2^−s⌋ for an integer a and s >= 0 (an arithmetic right shift, exact for |a| < 2^53). */
export const floorShift = (a: number, s: number): number => Math.floor(a / 2 ** s);

/** ⌊a · b / 2^s⌋ exactly (BigInt), a and b integers, s >= 0. */
export function mulFloorShift(a: number, b: number, s: number): number {
  return Number((BigInt(a) * BigInt(b)) >> BigInt(s));
}

/** a · m / 2^s rounded half to even exactly (BigInt); s may be negative (then an exact left shift). */
export function mulRheShift(a: number, m: number, s: number): number {
  const p = BigInt(a) * BigInt(m);
  if (s <= 0) return Number(p << BigInt(-s));
  const S = BigInt(s);
  const q = p >> S; // floor
  const rem = p - (q << S); // in [0, 2^s)
  const half = 1n << (S - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) return Number(q + 1n);
  return Number(q);
}

/** The number of bits of a positive integer n < 2^32 (Bits(n) of I-BERT's Algorithm 4). */
export const bitLength = (n: number): number => 32 - Math.clz32(n);

export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;
