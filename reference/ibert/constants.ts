// The constants of I-BERT's integer kernels, as coded in kssteven418/I-BERT fairseq/quantization/utils/quant_modules.py.

/**
 * i-GELU (IntGELU): erf(x) ≈ sign(x)·[a·(min(|x|, −b) + b)² + c] on the erf input x/k.
 * k = 1.4142 is I-BERT's literal for √2 (not Math.SQRT2); n = 14 is the right shift of the erf polynomial.
 */
export const GELU = { k: 1.4142, n: 14, a: -0.2888, b: -1.769, c: 1 } as const;

/**
 * i-exp (IntSoftmax.int_exp): x = −ln2·z + r, exp(r) ≈ a·r² + b·r + c on (−ln2, 0], exp(x) = exp(r)·2^−z.
 * x0 = −0.6931 is I-BERT's literal for −ln 2; n = 30 bounds z (inputs below n·x0 are clamped) and is the left
 * shift I-BERT applies to the polynomial. The coefficients are the code's expanded least-squares fit
 * (a, b, c) = (0.35815147, 0.96963238, 1); the paper's form 0.3585·(r + 1.353)² + 0.344 is the same curve to
 * within 3e-4 but is not what the code evaluates.
 */
export const EXP = { x0: -0.6931, n: 30, a: 0.35815147, b: 0.96963238, c: 1 } as const;

/**
 * i-Softmax (IntSoftmax.forward): the exponentials are requantized to `expBits` (QuantAct(16), symmetric,
 * range [−2^15, 2^15 − 1]); the row sum divides 2^sumBits; the output has scale 2^−output_bit.
 */
export const SOFTMAX = { expBits: 16, sumBits: 32, defaultOutputBits: 8 } as const;

/**
 * i-LayerNorm (IntLayerNorm.forward): factor = ⌊2^factorBits / std⌋, y = ⌊y·factor / 2⌋ so the normalized value
 * has 30 fractional bits (scale √dim / 2^30). I-BERT keeps Σy² below 2^32 (unsigned); we keep it below 2^31.
 */
export const LAYERNORM = { factorBits: 31, outFracBits: 30, varLimit: 2 ** 31 } as const;
