// Hardware configs: presets, validation messages, loading files with a base, and the fingerprint.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import {
  fingerprint,
  fingerprintHex,
  loadHwConfig,
  macsPerCycle,
  PRESETS,
  sramBytes,
  validateHwConfig,
  type HwConfig,
} from '../../isa/hw-config.js';
import { HW_PARAMS } from '../../isa/hw-params.js';

const npuError = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected an NpuError');
};

/** A deep copy of a preset with one dotted path set (or deleted when value is undefined). */
function edit(base: HwConfig, path: string, value: unknown): Record<string, unknown> {
  const c = structuredClone(base) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => o[k] as Record<string, unknown>, c);
  if (value === undefined) Reflect.deleteProperty(parent, keys.at(-1)!);
  else parent[keys.at(-1)!] = value;
  return c;
}

const tmp = mkdtempSync(join(tmpdir(), 'npu-hw-'));
const writeJson = (name: string, v: unknown): string => {
  const p = join(tmp, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};

describe('presets', () => {
  test('are valid', () => {
    for (const name of Object.keys(PRESETS))
      expect(validateHwConfig(structuredClone(PRESETS[name]), name).name).toBe(name);
  });

  test('warboy-2pe matches the published Warboy numbers', () => {
    const c = loadHwConfig();
    expect(c.name).toBe('warboy-2pe');
    expect(sramBytes(c)).toBe(32 * 1024 * 1024); // 32 MB on-chip SRAM (spec)
    // 64 TOPS = MACs x 2 op x 2 GHz, with "T" = 2^40 / 1.024 ... the spec's 64 is 65.5e12 / 1.024e12
    expect((macsPerCycle(c) * 2 * c.clockMhz * 1e6) / 1.024e12).toBeCloseTo(64, 6);
    expect(c.dram.gbps).toBe(66);
  });

  test('warboy is one PE: half the slices, otherwise equal', () => {
    const one = loadHwConfig('warboy');
    const two = loadHwConfig('warboy-2pe');
    expect(one.slices * 2).toBe(two.slices);
    expect({ ...one, name: '', description: '', slices: 0, peCount: 0 }).toEqual({
      ...two,
      name: '',
      description: '',
      slices: 0,
      peCount: 0,
    });
  });
});

describe('validation', () => {
  const base = loadHwConfig('edge');
  const cases: [string, unknown, RegExp][] = [
    ['dram.gbps', 0, /dram\.gbps: must be >= 0\.001, got 0/],
    ['dram.gbps', '66', /dram\.gbps: must be a number, got "66"/],
    ['slices', 2.5, /slices: must be an integer, got 2\.5/],
    ['sram.banksPerSlice', 3, /sram\.banksPerSlice: must be a power of two, got 3/],
    ['requant', 'double', /requant: must be one of 'float', 'fixed', got "double"/],
    ['mac.width', undefined, /mac\.width: missing/],
    ['dram.gbs', 5, /dram\.gbs: unknown field/],
    ['lutEntries', 512, /lutEntries: must be <= 256/],
    ['semaphores', 17, /semaphores: must be <= 16/],
    ['dma.engines', 5, /dma\.engines: must be <= 4/],
    [
      'sram.bytesPerSlice',
      2 ** 30,
      /slices x sram\.bytesPerSlice: 8589934592 bytes exceed the 32-bit SRAM address space/,
    ],
    ['dram', 'big', /dram: must be an object/],
  ];
  test.each(cases)('%s = %j', (path, value, message) => {
    const c =
      path === 'sram.bytesPerSlice'
        ? edit({ ...base, slices: 8 }, path, value)
        : edit(base, path, value);
    const e = npuError(() => validateHwConfig(c, 'my.json'));
    expect(e.id).toBe('hwInvalid');
    expect(e.format()).toMatch(/^error NPU3002: my\.json: invalid hardware config: /);
    expect(e.format()).toMatch(message);
  });

  test('every numeric parameter rejects NaN and strings', () => {
    for (const p of HW_PARAMS.filter((q) => q.kind === 'int' || q.kind === 'number')) {
      expect(npuError(() => validateHwConfig(edit(base, p.path, Number.NaN))).message).toContain(
        p.path,
      );
      expect(npuError(() => validateHwConfig(edit(base, p.path, 'x'))).message).toContain(p.path);
    }
  });
});

describe('loadHwConfig', () => {
  test('a partial file overrides a base preset', () => {
    const p = writeJson('slow.json', { base: 'warboy', dram: { gbps: 33 } });
    const c = loadHwConfig(p);
    expect(c.dram.gbps).toBe(33);
    expect(c.dram.burstBytes).toBe(loadHwConfig('warboy').dram.burstBytes);
    expect(c.slices).toBe(64);
    expect(c.name).toBe(p);
  });

  test('a base can be another file, relative to the first', () => {
    writeJson('fixed.json', { base: 'edge', requant: 'fixed' });
    const c = loadHwConfig(writeJson('fixed-fast.json', { base: 'fixed.json', clockMhz: 1500 }));
    expect([c.requant, c.clockMhz, c.slices]).toEqual(['fixed', 1500, 4]);
  });

  test('a complete file needs no base', () => {
    expect(
      loadHwConfig(writeJson('full.json', { ...loadHwConfig('edge'), name: 'mine' })).name,
    ).toBe('mine');
  });

  test('errors', () => {
    expect(npuError(() => loadHwConfig('warboy-3pe')).format()).toBe(
      "error NPU3001: 'warboy-3pe' is neither a hardware preset (warboy-2pe, warboy, edge) nor a readable JSON file",
    );
    expect(npuError(() => loadHwConfig(writeJson('bad.json', '{ "base": '))).id).toBe('hwBadJson');
    expect(npuError(() => loadHwConfig(writeJson('arr.json', '[1]'))).message).toMatch(
      /\(root\): must be a JSON object/,
    );
    expect(
      npuError(() => loadHwConfig(writeJson('typo.json', { base: 'edge', dram: { gbs: 1 } })))
        .message,
    ).toMatch(/dram\.gbs: unknown field/);
    expect(npuError(() => loadHwConfig(writeJson('partial.json', { slices: 4 }))).message).toMatch(
      /missing/,
    );
    writeJson('loop-a.json', { base: 'loop-b.json' });
    writeJson('loop-b.json', { base: 'loop-a.json' });
    expect(npuError(() => loadHwConfig(join(tmp, 'loop-a.json'))).message).toMatch(
      /base: more than 8 nested bases/,
    );
  });
});

describe('fingerprint', () => {
  test('is 64 bits, stable across key order, and ignores name and description', () => {
    const c = loadHwConfig('warboy-2pe');
    const reordered = Object.fromEntries(
      Object.entries(structuredClone(c)).reverse(),
    ) as unknown as HwConfig;
    expect(fingerprint(reordered)).toBe(fingerprint(c));
    expect(fingerprint({ ...c, name: 'x', description: 'y' })).toBe(fingerprint(c));
    expect(fingerprintHex(c)).toMatch(/^0x[0-9a-f]{16}$/);
    const all = Object.keys(PRESETS).map((n) => fingerprint(loadHwConfig(n)));
    expect(new Set(all).size).toBe(all.length);
  });

  test('changes when any hardware parameter changes', () => {
    const base = loadHwConfig('warboy-2pe');
    const numeric = HW_PARAMS.filter((p) => p.kind === 'int' || p.kind === 'number');
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.integer({ min: 1, max: 1000 }), (p, delta) => {
        const v = p.path
          .split('.')
          .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], base) as number;
        const changed = edit(base, p.path, v + delta) as unknown as HwConfig;
        expect(fingerprint(changed)).not.toBe(fingerprint(base));
      }),
      { numRuns: 200 },
    );
    expect(fingerprint({ ...base, requant: 'fixed' })).not.toBe(fingerprint(base));
  });
});
