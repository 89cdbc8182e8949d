// sweep(): the design-space sweep as a function (the CLI and the tests call it): grid, parallel runs, report.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadHwConfig, type HwConfig } from '../../isa/hw-config.js';
import { gridPoints, parseAxis, type Axis, type GridPoint } from './grid.js';
import type { PointJob, PointResult } from './point.js';
import { runPoints } from './pool.js';
import { writeSweepReport } from './report.js';

export interface SweepOptions {
  readonly model: string;
  /** `key=v1,v2,...` specs, one axis each. */
  readonly sets: readonly string[];
  /** Base preset or JSON file (default warboy-2pe). */
  readonly hw?: string;
  /** Requant modes to sweep ('float,fixed'); the same as --set requant=... */
  readonly requant?: string;
  readonly batch?: number;
  readonly input?: string;
  readonly seed?: string;
  readonly outDir: string;
  readonly jobs?: number;
  /** Per-layer rooflines and engine timelines (default true; needs a trace per point). */
  readonly detail?: boolean;
  readonly timelineBins?: number;
  readonly onResult?: (r: PointResult, p: GridPoint) => void;
}

export interface SweepResult {
  readonly base: HwConfig;
  readonly axes: readonly Axis[];
  readonly points: readonly GridPoint[];
  readonly results: readonly PointResult[];
  readonly files: readonly string[];
}

export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const base = loadHwConfig(o.hw ?? 'warboy-2pe');
  const specs = [...o.sets, ...(o.requant === undefined ? [] : [`requant=${o.requant}`])];
  const axes = specs.map((s) => parseAxis(s, base));
  const points = gridPoints(base, axes);
  const jobs: PointJob[] = points.map((p) => ({
    index: p.index,
    config: p.config,
    batch: o.batch ?? 1,
    ...(o.input === undefined ? {} : { inputPath: resolve(o.input) }),
    seed: o.seed ?? 'npusweep',
    detail: o.detail ?? true,
    timelineBins: o.timelineBins ?? 200,
  }));
  const results = await runPoints(resolve(o.model), jobs, o.jobs ?? availableParallelism(), (r) =>
    o.onResult?.(r, points[r.index]),
  );
  const title = `npusim sweep ${o.model} (base ${base.name}; ${axes.map((a) => `${a.key}=${a.values.map((v) => v.label).join(',')}`).join(' ')})`;
  const { files } = writeSweepReport(o.outDir, title, axes, points, results);
  return { base, axes, points, results, files };
}
