// The `npuq --dynamic` path: refuses the calibration flags, quantizes, writes the model and the report.

import { writeFileAtomic } from '../../common/atomic-write.js';
import { EXIT } from '../../common/cli.js';
import { NpuError } from '../../common/diagnostics.js';
import { loadModel, saveModel } from '../../onnx/model-io.js';
import { quantizeDynamic } from './quantize-dynamic.js';

/** The parsed npuq arguments this path reads; undefined / false means the flag was not given. */
export interface DynamicArgs {
  file: string;
  out: string;
  perTensorWeights: boolean;
  exclude?: string;
  report?: string;
  /** Flags that need calibration data or quantized I/O, by name, with their value if given. */
  others: Record<string, unknown>;
}

const WHY: Record<string, string> = {
  calib:
    'dynamic quantization needs no calibration data (activation ranges are measured at run time)',
  method: 'there is no calibrated range to choose a method for',
  symmetric: 'DynamicQuantizeLinear is uint8 asymmetric by definition',
  percentile: 'there is no calibrated range to clip',
  'auto-exclude': 'it measures sensitivity on calibration data',
  'input-type': 'the model input stays float (DynamicQuantizeLinear reads float)',
  'output-type': 'the model output stays float',
  plots: 'the histograms come from calibration',
  'plot-layers': 'the histograms come from calibration',
};

export function runDynamic(a: DynamicArgs): number {
  for (const [flag, v] of Object.entries(a.others)) {
    if (v === undefined || v === false) continue;
    throw new NpuError('badArgument', [
      `--${flag} cannot be used with --dynamic: ${WHY[flag] ?? 'it applies to static quantization only'}`,
    ]);
  }
  const model = loadModel(a.file);
  const { model: q, report } = quantizeDynamic(model, {
    perTensorWeights: a.perTensorWeights,
    exclude: (a.exclude ?? '').split(',').filter((s) => s !== ''),
  });
  saveModel(q, a.out);
  process.stdout.write(
    `wrote ${a.out} (dynamic: ${report.quantized.length} node(s) with int8 weights, ` +
      `${report.dynamicActivations.length} activation(s) quantized at run time by DynamicQuantizeLinear)\n`,
  );
  for (const s of report.skipped)
    process.stdout.write(`kept in float: '${s.node}' (${s.opType}): ${s.reason}\n`);
  if (a.report !== undefined) {
    writeFileAtomic(a.report, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${a.report}\n`);
  }
  return EXIT.ok;
}
