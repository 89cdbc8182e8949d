// Shared CLI plumbing: one-line errors with a non-zero exit code, stack traces only with --verbose.

import { NpuError } from './diagnostics.js';

/** Exit codes: 0 ok, 1 user error (bad input, catalogued), 2 internal error (a bug). */
export const EXIT = { ok: 0, userError: 1, internalError: 2 } as const;

export function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof NpuError) {
    process.stderr.write(`${e.format()}\n`);
    if (verbose && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
    return EXIT.userError;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(
    `internal error: ${msg}${verbose ? '' : ' (run with --verbose for a stack trace)'}\n`,
  );
  if (verbose && e instanceof Error && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
  return EXIT.internalError;
}

/** Runs a CLI main function and exits with its code; never lets a stack trace escape unless --verbose. */
export function runCli(main: () => Promise<number> | number): void {
  const verbose = process.argv.includes('--verbose');
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        process.exitCode = reportError(e, verbose);
      },
    );
}

/** Parses repeated `name=path` options (e.g. --input x=a.npy). */
export function parseNamedPaths(
  values: readonly string[] | undefined,
  flag: string,
): [string, string][] {
  return (values ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new NpuError('badArgument', [`${flag} expects name=path, got '${v}'`]);
    return [v.slice(0, eq), v.slice(eq + 1)];
  });
}
