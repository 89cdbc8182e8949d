// The sweep grid: `--set key=v1,v2` axes over hardware-config paths (and friendly aliases), and its points' configs.
import { fail, NpuError } from '../../common/diagnostics.js';
import { validateHwConfig, type HwConfig } from '../../isa/hw-config.js';
import { ENERGY_PARAMS, HW_PARAMS, type ParamSpec } from '../../isa/hw-params.js';

/** A friendly key: the config path it sets and how a value in its unit becomes the config's. */
interface Alias {
  readonly path: string;
  readonly scale: number;
  readonly doc: string;
}

export const ALIASES: Readonly<Record<string, Alias>> = {
  'sram.kib': { path: 'sram.bytesPerSlice', scale: 1024, doc: 'SRAM per slice in KiB' },
  'sram.mib': { path: 'sram.bytesPerSlice', scale: 1024 * 1024, doc: 'SRAM per slice in MiB' },
  'dram.gib': { path: 'dram.sizeBytes', scale: 1024 ** 3, doc: 'DRAM size in GiB' },
  clockGhz: { path: 'clockMhz', scale: 1000, doc: 'clock in GHz' },
};

export interface AxisValue {
  /** As the user wrote it (the CSV column shows this). */
  readonly label: string;
  /** The config value (after the alias's scale). */
  readonly value: number | string;
}

export interface Axis {
  /** The key as the user wrote it (a config path or an alias). */
  readonly key: string;
  /** The config path it sets. */
  readonly path: string;
  readonly values: readonly AxisValue[];
}

export interface GridPoint {
  readonly index: number;
  /** One label per axis, in axis order. */
  readonly labels: readonly string[];
  readonly config: HwConfig;
}

const SWEEPABLE: readonly ParamSpec[] = [...HW_PARAMS, ...ENERGY_PARAMS].filter(
  (p) => p.kind !== 'string',
);

/** Keys `--set` accepts, for messages and --help. */
export const sweepKeys = (): string[] => [...SWEEPABLE.map((p) => p.path), ...Object.keys(ALIASES)];

function setPath(o: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  cur[keys.at(-1)!] = v;
}

/** A deep copy of `base` with `path` set and validated; hwInvalid errors come back as one sweepSet line. */
function withValue(base: HwConfig, path: string, value: unknown, what: string): HwConfig {
  const c = structuredClone(base) as unknown as Record<string, unknown>;
  setPath(c, path, value);
  try {
    return validateHwConfig(c, base.name);
  } catch (e) {
    if (e instanceof NpuError && e.id === 'hwInvalid') return fail('sweepSet', [what, e.message]);
    throw e;
  }
}

/** Parses one `key=v1,v2,...` option; every value is checked against the parameter's constraints on `base`. */
export function parseAxis(spec: string, base: HwConfig): Axis {
  const eq = spec.indexOf('=');
  if (eq <= 0) return fail('sweepSet', [spec, 'expected key=v1,v2,...']);
  const key = spec.slice(0, eq).trim();
  const raw = spec
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim());
  const alias = ALIASES[key];
  const path = alias?.path ?? key;
  const param = SWEEPABLE.find((p) => p.path === path);
  if (param === undefined)
    return fail('sweepSet', [key, `unknown parameter (known: ${sweepKeys().join(', ')})`]);
  if (raw.some((s) => s === '')) return fail('sweepSet', [spec, 'empty value']);
  const values = raw.map((label): AxisValue => {
    let value: number | string = label;
    if (param.kind === 'int' || param.kind === 'number') {
      const n = Number(label);
      if (!Number.isFinite(n)) return fail('sweepSet', [`${key}=${label}`, 'not a number']);
      value = n * (alias?.scale ?? 1);
    }
    withValue(base, path, value, `${key}=${label}`);
    return { label, value };
  });
  if (new Set(raw).size !== raw.length) fail('sweepSet', [spec, 'a value is repeated']);
  return { key, path, values };
}

/** Every combination of the axes' values (the last axis varies fastest), each a validated config. */
export function gridPoints(base: HwConfig, axes: readonly Axis[]): GridPoint[] {
  const paths = axes.map((a) => a.path);
  const dup = paths.find((p, k) => paths.indexOf(p) !== k);
  if (dup !== undefined) fail('sweepSet', [dup, 'set by two --set options']);
  let combos: AxisValue[][] = [[]];
  for (const a of axes) combos = combos.flatMap((c) => a.values.map((v) => [...c, v]));
  return combos.map((combo, index) => {
    let config = base;
    combo.forEach((v, k) => {
      config = withValue(config, axes[k].path, v.value, `${axes[k].key}=${v.label}`);
    });
    const labels = combo.map((v) => v.label);
    const name =
      axes.length === 0
        ? base.name
        : `${base.name}[${combo.map((v, k) => `${axes[k].key}=${v.label}`).join(',')}]`;
    return { index, labels, config: { ...config, name } };
  });
}
