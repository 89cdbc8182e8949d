// Runs one of the project's command-line tools (a TypeScript entry point) in a child Node process, as a user would.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository root: scripts are named relative to it and the child process runs there. */
export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  /** Exit status (null when the process was killed by a signal). */
  code: number | null;
  out: string;
  err: string;
}

/** `node --import tsx <ROOT>/<script> ...args` in ROOT, synchronously. */
export function runCli(script: string, args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
