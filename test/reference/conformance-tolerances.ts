// Tolerances of the ONNX node conformance tests that differ from the backend default, each with its reason
// (every copied test runs: none is skipped).

/** Per-test tolerance overrides (ONNX backend default: rtol 1e-3, atol 1e-7), each with its reason. */
export const TOLERANCE_OVERRIDES: readonly {
  test: string;
  rtol: number;
  atol: number;
  reason: string;
}[] = [];
