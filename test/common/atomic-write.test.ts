// writeFileAtomic: replaces files whole, cleans up its temp file when the final rename fails.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { NpuError } from '../../common/diagnostics.js';

const tmp = mkdtempSync(join(tmpdir(), 'atomic-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('writes strings and bytes, replacing an existing file', () => {
  const p = join(tmp, 'a.txt');
  writeFileSync(p, 'old content that is longer');
  writeFileAtomic(p, 'né\n');
  expect(readFileSync(p, 'utf8')).toBe('né\n');
  writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  expect([...readFileSync(p)]).toEqual([1, 2, 3]);
  expect(readdirSync(tmp)).toEqual(['a.txt']);
});

test('a failed rename (target is a non-empty directory) reports writeFailed and leaves no temp file', () => {
  const dir = join(tmp, 'sub');
  const target = join(dir, 'target');
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'keep'), 'x');
  try {
    writeFileAtomic(target, 'data');
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(NpuError);
    expect((e as NpuError).id).toBe('writeFailed');
    expect((e as NpuError).format()).toContain(target);
  }
  expect(readdirSync(dir)).toEqual(['target']);
});
