// i-sqrt: I-BERT's integer square root (paper Algorithm 4): Newton's method from a power-of-two over-estimate.

import type { IntCheck } from './int-arith.js';
import { NO_CHECK, bitLength } from './int-arith.js';

/**
 * ⌊√n⌋ for an integer 0 <= n < 2^32:
 *   if n = 0 return 0
 *   x = 2^⌈Bits(n)/2⌉                       >= √n, since n < 2^Bits(n)
 *   repeat  x' = ⌊(x + ⌊n/x⌋) / 2⌋;  if x' >= x return x;  x = x'
 * From an over-estimate the iterates decrease strictly until they reach ⌊√n⌋ (integer Newton). I-BERT's code
 * computes ⌊sqrt(var)⌋ with a float sqrt ("to be replaced with integer-sqrt kernel that produces the same output");
 * this is the replacement, exact where the float32 version rounds.
 */
export function iSqrt(n: number, check: IntCheck = NO_CHECK): number {
  if (!(Number.isInteger(n) && n >= 0 && n < 2 ** 32))
    throw new RangeError(`i-sqrt input ${n} not in [0, 2^32)`);
  if (n === 0) return 0;
  let x = 2 ** Math.ceil(bitLength(n) / 2);
  for (;;) {
    const sum = x + Math.floor(n / x);
    check('sqrt.sum', sum);
    const next = Math.floor(sum / 2);
    if (next >= x) return x;
    x = next;
  }
}
