// --auto-exclude N: keeps in float the N nodes whose exclusion alone most improves the model output's SQNR.

import type { Model } from '../onnx/graph.js';
import type { CalibrationData } from './calibrate/batches.js';
import { measureSensitivity } from './sensitivity.js';

export interface ExclusionCandidate {
  node: string;
  /** Output SQNR (dB) with only this node in float. */
  outputSqnrDb: number;
}

/**
 * Measured, not guessed: every quantized op node (a producer of a quantized tensor) is tried alone in float
 * (`quantizeExcluding([node])` rebuilds the QDQ model from the same calibration) and the output SQNR against float
 * is measured on the calibration data. Returns the N best candidates, best first, and all measurements.
 */
export function chooseExclusions(
  floatModel: Model,
  quantized: Model,
  quantizeExcluding: (nodes: string[]) => Model,
  data: CalibrationData,
  n: number,
  batchSize?: number,
  alreadyExcluded: readonly string[] = [],
): { chosen: string[]; measured: ExclusionCandidate[] } {
  if (n <= 0) return { chosen: [], measured: [] };
  const base = measureSensitivity(floatModel, quantized, data, batchSize);
  const skip = new Set(alreadyExcluded);
  const names = new Set(floatModel.graph.nodes.map((x) => x.name).filter((x) => !skip.has(x)));
  const candidates = [
    ...new Set(
      base.layers.filter((l) => l.opType !== 'input' && names.has(l.node)).map((l) => l.node),
    ),
  ];
  // the output's own producer is a candidate too
  const outProducer = quantized.graph.nodes.find((x) =>
    x.outputs.includes(`${base.output.name}_QuantizeLinearInput`),
  );
  if (
    outProducer !== undefined &&
    names.has(outProducer.name) &&
    !candidates.includes(outProducer.name)
  )
    candidates.push(outProducer.name);
  const measured = candidates.map((node) => ({
    node,
    outputSqnrDb: measureSensitivity(floatModel, quantizeExcluding([node]), data, batchSize).output
      .sqnrDb,
  }));
  measured.sort((a, b) => b.outputSqnrDb - a.outputSqnrDb);
  return { chosen: measured.slice(0, n).map((c) => c.node), measured };
}
