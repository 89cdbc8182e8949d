// The runtime API: hardware resolution from the program, fingerprint checks, float and raw runs.

import { describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { toNumbers } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { loadHwConfig, validateHwConfig } from '../../isa/hw-config.js';
import { writeProgram } from '../../isa/program-file.js';
import { runModel } from '../../reference/interpreter.js';
import { hardwareFor, NpuSession } from '../../runtime/session.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { convModel } from '../compiler/compile-helpers.js';

const model = convModel(4, 8, 6, 6).output('y', 'int8').build();
const bytesFor = (hwName: string, requant: 'float' | 'fixed'): Uint8Array => {
  const hw = { ...loadHwConfig(hwName), requant };
  return writeProgram(compile(model, { hw, requant, cpuFallback: false }).program!);
};
const x = randomIntTensor('int8', [1, 4, 6, 6], 3);

describe('NpuSession', () => {
  it.each(['float', 'fixed'] as const)(
    'finds the preset and the %s requant mode from the program alone, and runs bit-exactly',
    (mode) => {
      const s = NpuSession.load(bytesFor('edge', mode));
      expect([s.hw.name, s.hw.requant]).toEqual(['edge', mode]);
      const got = s.run({ x }, { raw: true }).outputs.y;
      expect(toNumbers(got)).toEqual(toNumbers(runModel(model, { x }, { mode }).y));
      expect(s.inputs.map((d) => d.name)).toEqual(['x']);
    },
  );

  it('refuses hardware whose fingerprint differs, naming both', () => {
    let e: unknown;
    try {
      NpuSession.load(bytesFor('edge', 'float'), { hw: 'warboy' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(NpuError);
    expect((e as NpuError).id).toBe('progFingerprint');
  });

  it('a program for a custom config needs the config', () => {
    const custom = validateHwConfig({ ...loadHwConfig('edge'), name: 'my-npu', slices: 8 });
    const bytes = writeProgram(
      compile(model, { hw: custom, requant: 'float', cpuFallback: false }).program!,
    );
    expect(() => NpuSession.load(bytes)).toThrow(/not a preset/);
    expect(NpuSession.load(bytes, { hw: custom }).hw.slices).toBe(8);
  });

  it('a missing file is a one-line error', () => {
    expect(() => NpuSession.load('/nonexistent/prog.bin')).toThrow(NpuError);
  });

  it('hardwareFor honours an explicit requant', () => {
    const s = NpuSession.load(bytesFor('edge', 'fixed'));
    expect(hardwareFor(s.program, { requant: 'fixed' }).requant).toBe('fixed');
  });
});
