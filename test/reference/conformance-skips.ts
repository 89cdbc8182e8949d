// ONNX node conformance tests the reference interpreter does not run, each with its reason.

export interface ConformanceSkip {
  test: string;
  reason: string;
}

export const CONFORMANCE_SKIPS: readonly ConformanceSkip[] = [];

/** Per-test tolerance overrides (ONNX backend default: rtol 1e-3, atol 1e-7), each with its reason. */
export const TOLERANCE_OVERRIDES: readonly {
  test: string;
  rtol: number;
  atol: number;
  reason: string;
}[] = [];
