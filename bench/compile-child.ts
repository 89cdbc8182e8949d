// Child process of `npm run bench`: compiles one model file as npuc does and prints its time and peak memory.
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/pipeline.js';
import { loadHwConfig } from '../isa/hw-config.js';
import { loadModel } from '../onnx/model-io.js';

/**
 * Peak resident memory of this process. Linux: VmHWM of /proc/self/status, which starts afresh at exec;
 * getrusage's maxRSS does not (it keeps the forking parent's peak, which is the bench's, hundreds of MB).
 */
function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

const [file, hwName] = process.argv.slice(2);
const t0 = performance.now();
const model = loadModel(file);
const hw = loadHwConfig(hwName);
const dim = model.graph.inputs[0].shape?.[0];
const c = compile(model, {
  hw,
  requant: hw.requant,
  cpuFallback: false,
  fixedDims: typeof dim === 'string' ? { [dim]: 1 } : {},
});
if (c.program === undefined) throw new Error(`${file}: no program`);
console.log(JSON.stringify({ ms: performance.now() - t0, maxRssMB: peakRssMB() }));
