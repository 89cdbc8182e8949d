// Split mode: inferences side by side on several PEs sharing the DRAM interface (simulate's `pes`).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { loadHwConfig, validateHwConfig, type HwConfig } from '../../isa/hw-config.js';
import { loadModel } from '../../onnx/model-io.js';
import { simulate } from '../../simulator/simulate.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'models');
const model = loadModel(join(FIX, 'digits-cnn.qdq.onnx'));
const all = readNpy(join(FIX, 'digits-test-x.npy'));
const images = (n: number): Tensor => ({
  dtype: 'float32',
  shape: [n, ...all.shape.slice(1)],
  data: (all.data as Float32Array).slice(0, n * 64),
});

const programFor = (hw: HwConfig) =>
  compile(model, { hw, requant: hw.requant, cpuFallback: false, fixedDims: { batch: 1 } }).program!;

describe('split mode (pes)', () => {
  const hw = loadHwConfig('warboy');
  const prog = programFor(hw);
  const input = prog.inputs[0].name;

  it('runs a batch on 2 PEs with the outputs of one PE, more throughput and no faster single inference', () => {
    const x = images(5);
    const one = simulate(prog, { [input]: x }, { hw });
    const two = simulate(prog, { [input]: x }, { hw, pes: 2 });
    expect(two.outputs).toEqual(one.outputs);
    expect(two.stats.inferences).toBe(5);
    expect(two.stats.mac.usefulMacs).toBe(one.stats.mac.usefulMacs);
    expect(two.stats.dram).toEqual(one.stats.dram);
    expect(two.stats.instructions).toEqual(one.stats.instructions);
    // rounds of 2, 2, 1: faster than 5 in a row, never faster than 3 rounds of a lone inference
    const single = simulate(prog, { [input]: images(1) }, { hw }).stats.cycles;
    expect(two.stats.cycles).toBeLessThan(one.stats.cycles);
    expect(two.stats.cycles).toBeGreaterThanOrEqual(3 * single);
    expect(two.stats.split!.pes).toBe(2);
    expect(two.stats.split!.meanLatencyUs).toBeGreaterThanOrEqual(single / hw.clockMhz);
    expect(two.stats.split!.inferencesPerSecond).toBeCloseTo(
      5 / (two.stats.cycles / (hw.clockMhz * 1e6)),
      6,
    );
  });

  it('shares the DRAM interface: a DRAM-bound program gains little from a second PE', () => {
    const slow = validateHwConfig({ ...hw, name: 'slow-dram', dram: { ...hw.dram, gbps: 0.5 } });
    const p = programFor(slow);
    const x = images(2);
    const one = simulate(p, { [input]: x }, { hw: slow }).stats.cycles;
    const two = simulate(p, { [input]: x }, { hw: slow, pes: 2 }).stats.cycles;
    // compute-bound work would halve; with the bus the bottleneck, two PEs take most of the serial time
    expect(two).toBeGreaterThan(0.8 * one);
    expect(two).toBeLessThan(one);
  });

  it('names each PE in the trace, and refuses pes < 1', () => {
    const r = simulate(prog, { [input]: images(2) }, { hw, pes: 2, trace: true });
    const engines = new Set(r.trace!.records.map((t) => t.engine));
    expect([...engines].some((e) => e.startsWith('pe0.'))).toBe(true);
    expect([...engines].some((e) => e.startsWith('pe1.'))).toBe(true);
    expect(() => simulate(prog, { [input]: images(1) }, { hw, pes: 0 })).toThrow(/pes must be/);
  });
});
