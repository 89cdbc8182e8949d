// Energy model: hand-computed energy of small programs equals the stats; energy params stay out of the fingerprint.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { assembleWords } from '../../isa/asm.js';
import { EXAMPLE_ASM } from '../../isa/example.js';
import { fingerprint, loadHwConfig, validateHwConfig, type HwConfig } from '../../isa/hw-config.js';
import { ENERGY_PARAMS } from '../../isa/hw-params.js';
import { programFor } from '../../isa/program-file.js';
import { floatMultipliers } from '../../reference/quant/requant.js';
import { energyOf } from '../../simulator/energy.js';
import { simulate } from '../../simulator/simulate.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { bytesOf, ProgramBuilder } from './program-builder.js';

/** edge with an energy table of distinct, easy numbers (pJ, W). */
const hw: HwConfig = validateHwConfig({
  ...structuredClone(loadHwConfig('edge')),
  energy: { macPj: 1, sramPjPerByte: 2, dramPjPerByte: 3, vectorPjPerOp: 5, staticW: 0.007 },
});

describe('energy of a run', () => {
  test('one DMA load: DRAM and SRAM bytes plus static power for its cycles', () => {
    const b = new ProgramBuilder(hw);
    const d = b.constant(new Uint8Array(1000));
    b.load(d, 0, 1000, 1);
    b.emit('halt', { wait: 1 });
    const s = simulate(b.program(), {}, { hw }).stats;
    // 1000 B read from DRAM (3 pJ/B) and written to SRAM (2 pJ/B); 0.007 W for `cycles` at 1000 MHz
    const staticPj = 0.007 * (s.cycles / 1e9) * 1e12;
    const pj = 1000 * 3 + 1000 * 2 + staticPj;
    expect(s.energy.dramUj).toBeCloseTo(3000e-6, 12);
    expect(s.energy.sramUj).toBeCloseTo(2000e-6, 12);
    expect(s.energy.macUj).toBe(0);
    expect(s.energy.vectorUj).toBe(0);
    expect(s.energy.totalUj).toBeCloseTo(pj * 1e-6, 12);
    expect(s.energy.perInferenceUj).toBeCloseTo(pj * 1e-6, 12);
    expect(s.energy.averageW).toBeCloseTo((pj * 1e-12) / (s.cycles / 1e9), 9);
    expect(s.energy.topsPerWatt).toBe(0);
  });

  test('the example conv program: MACs, SRAM and DRAM bytes counted by hand', () => {
    const image = new Uint8Array(640);
    image.set(bytesOf(randomIntTensor('int8', [8, 8, 3, 3], 12)), 0);
    image.set(bytesOf(randomIntTensor('int32', [8], 13, -2000, 2000)), 0x240);
    const ws = Array.from({ length: 8 }, (_, k) => Math.fround(0.002 * (k + 1)));
    image.set(
      bytesOf(floatMultipliers({ x: Math.fround(0.05), w: ws, y: Math.fround(0.4) })),
      0x260,
    );
    const desc = { shape: [1, 8, 16, 16], dtype: 'int8', layout: 'NCHW' } as const;
    const program = programFor(hw, {
      code: assembleWords(EXAMPLE_ASM),
      dram: [{ addr: 0, data: image }],
      inputs: [{ ...desc, name: 'x', scale: 0.05, zeroPoint: -3, dramAddr: 0x1000 }],
      outputs: [{ ...desc, name: 'y', scale: 0.4, zeroPoint: 5, dramAddr: 0x2000 }],
      debug: [],
    });
    const x = randomIntTensor('int8', [2, 8, 16, 16], 11); // two inferences
    const s = simulate(program, { x }, { hw, raw: true }).stats;
    // per inference: 3x3 conv 8 -> 8 over 16x16 outputs
    const macs = 8 * 16 * 16 * 8 * 9;
    // DRAM: input 8x16x16 + constants 640 read, output 8x16x16 written
    const dram = 2048 + 640 + 2048;
    // SRAM: padded input 8x18x18 and constants written by DMA; conv reads its input (8 x 18 x 18) and weights
    // (8 x 8 x 9) and writes 8 x 16 x 16; the store reads 2048
    const sram = 2592 + 640 + (2592 + 576) + 2048 + 2048;
    const dynamicPj = 2 * (macs * 1 + sram * 2 + dram * 3);
    const staticPj = 0.007 * (s.cycles / 1e9) * 1e12;
    expect(s.mac.usefulMacs).toBe(2 * macs);
    expect(s.energy.macUj).toBeCloseTo(2 * macs * 1e-6, 12);
    expect(s.energy.totalUj).toBeCloseTo((dynamicPj + staticPj) * 1e-6, 9);
    expect(s.energy.perInferenceUj).toBeCloseTo(s.energy.totalUj / 2, 12);
    const tops = (2 * 2 * macs) / ((dynamicPj + staticPj) * 1e-12) / 1e12;
    expect(s.energy.topsPerWatt).toBeCloseTo(tops, 9);
  });

  test('vector lane-ops: busy cycles x lanes x slices', () => {
    const e = energyOf(hw, {
      usefulMacs: 0,
      sramBytes: 0,
      dramBytes: 0,
      vectorBusyCycles: 10,
      cycles: 0,
      inferences: 1,
    });
    expect(e.vectorUj).toBeCloseTo(10 * 8 * 4 * 5 * 1e-6, 12); // edge: 8 lanes x 4 slices, 5 pJ each
    expect(e.staticUj).toBe(0);
  });
});

describe('energy parameters', () => {
  test('are not part of the fingerprint (they change no program)', () => {
    const base = loadHwConfig('warboy-2pe');
    for (const p of ENERGY_PARAMS) {
      const [, key] = p.path.split('.');
      const changed = {
        ...base,
        energy: { ...base.energy, [key]: base.energy[key as keyof HwConfig['energy']] + 1 },
      };
      expect(fingerprint(validateHwConfig(changed))).toBe(fingerprint(base));
    }
  });

  test('are validated: a negative energy is one line naming the field', () => {
    const bad = {
      ...loadHwConfig('edge'),
      energy: { ...loadHwConfig('edge').energy, dramPjPerByte: -1 },
    };
    let err: unknown;
    try {
      validateHwConfig(bad, 'my.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NpuError);
    expect((err as NpuError).format()).toBe(
      'error NPU3002: my.json: invalid hardware config: energy.dramPjPerByte: must be >= 0, got -1',
    );
  });

  test('are documented with sources in docs/hardware-model.md', () => {
    const doc = readFileSync(
      join(import.meta.dirname, '..', '..', 'docs', 'hardware-model.md'),
      'utf8',
    );
    for (const p of ENERGY_PARAMS) expect(doc).toContain(`\`${p.path}\``);
  });
});
