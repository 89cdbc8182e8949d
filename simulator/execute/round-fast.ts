// Round half to even without the reference's floor/fraction split: the requantization units' hot path.
// test/simulator/round-fast.test.ts checks it against reference/quant/rounding.ts rhe.

/**
 * rhe(x): Math.round gives the nearest integer with ties toward +Infinity; a tie that landed on an odd integer
 * steps back by one. r - x is exact (|r - x| <= 0.5 is a multiple of x's ulp). NaN and ±Infinity pass through;
 * -0 becomes 0 as in rhe.
 */
export function rheFast(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r + 0;
}
