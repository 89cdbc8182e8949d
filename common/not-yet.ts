// The honest answer of a CLI whose job is planned but not built yet.

import { NpuError } from './diagnostics.js';

export function notImplemented(tool: string, issue: number): never {
  throw new NpuError('unsupported', [
    `${tool} is not implemented yet (tracked in issue ${issue}); only --help works`,
  ]);
}
