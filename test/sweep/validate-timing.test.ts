// scripts/validate-timing.ts at 32x32: every layer at or above its roofline bound (exit 0) and all three tables.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

test('validate-timing finds no layer below its roofline bound and prints the three tables', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/validate-timing.ts'), '--resolution', '32'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('- Layers below their bound: **0**.');
  for (const h of ["Warboy's published results", 'SCALE-Sim-style formulas', 'roofline bound'])
    expect(r.stdout).toContain(h);
  // one row per layer with MACs in the SCALE-Sim table (distinct conv shapes) and a full per-layer table
  expect(r.stdout).toMatch(/\| Conv_0__QLinearConv \| 7x7\/2 3→\d+ @16x16 \|/);
  expect(r.stdout).not.toMatch(/NaN|Infinity|undefined/);
}, 60_000);
