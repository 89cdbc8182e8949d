// The hardware as data: the HwConfig type, its validator, loading by preset name or JSON file, and its fingerprint.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fail } from '../common/diagnostics.js';
import { fnv1a64, hex } from './bits.js';
import { ENERGY_PARAMS, HW_PARAMS, type ParamSpec } from './hw-params.js';
import { DEFAULT_PRESET, PRESETS } from './hw-presets.js';
import { DRAM_ADDR_BITS, SRAM_ADDR_BITS } from './word.js';

/** Same meaning as the reference interpreter's RequantMode. */
export type HwRequantMode = 'float' | 'fixed';

/** Every size, width, latency, bandwidth and clock of the modelled NPU. See docs/hardware-model.md. */
export interface HwConfig {
  readonly name: string;
  readonly description: string;
  readonly peCount: number;
  readonly slices: number;
  readonly mac: { readonly width: number; readonly height: number; readonly accBits: number };
  readonly sram: {
    readonly bytesPerSlice: number;
    readonly banksPerSlice: number;
    readonly accessBytes: number;
  };
  readonly clockMhz: number;
  readonly dram: {
    readonly sizeBytes: number;
    readonly gbps: number;
    readonly burstBytes: number;
    readonly latencyCycles: number;
  };
  readonly vector: {
    readonly lanesPerSlice: number;
    readonly reduceCycles: number;
    readonly divCycles: number;
  };
  readonly dma: { readonly engines: number };
  readonly requant: HwRequantMode;
  readonly lutEntries: number;
  readonly instructionMemoryBytes: number;
  readonly semaphores: number;
  /** Per-event energies and static power (not part of the fingerprint: they change no program). */
  readonly energy: HwEnergy;
}

/** The energy table of a config; see ENERGY_PARAMS and docs/hardware-model.md '## Energy'. */
export interface HwEnergy {
  readonly macPj: number;
  readonly sramPjPerByte: number;
  readonly dramPjPerByte: number;
  readonly vectorPjPerOp: number;
  readonly staticW: number;
}

export { DEFAULT_PRESET, PRESETS };

/** Values derived from a config, computed in one place. */
export const sramBytes = (c: HwConfig): number => c.slices * c.sram.bytesPerSlice;
export const macsPerCycle = (c: HwConfig): number => c.slices * c.mac.width * c.mac.height;

const getPath = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkParam(p: ParamSpec, v: unknown, where: string): void {
  const bad = (constraint: string): never =>
    fail('hwInvalid', [p.path, constraint], { file: where });
  if (v === undefined) bad('missing');
  if (p.kind === 'string') {
    if (typeof v !== 'string') bad(`must be a string, got ${JSON.stringify(v)}`);
    return;
  }
  if (p.kind === 'enum') {
    if (typeof v !== 'string' || !p.values!.includes(v))
      bad(`must be one of ${p.values!.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(v)}`);
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    return bad(`must be a number, got ${JSON.stringify(v)}`);
  if (p.kind === 'int' && !Number.isSafeInteger(v)) bad(`must be an integer, got ${v}`);
  if (p.min !== undefined && v < p.min) bad(`must be >= ${p.min}, got ${v}`);
  if (p.max !== undefined && v > p.max) bad(`must be <= ${p.max}, got ${v}`);
  if (p.pow2 === true && (v & (v - 1)) !== 0) bad(`must be a power of two, got ${v}`);
}

/** Leaf paths present in a JSON object (to reject unknown, probably misspelled, fields). */
function leafPaths(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    isObject(v) ? leafPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

/** Checks every parameter against HW_PARAMS and the ISA's address widths; throws a one-line hwInvalid NpuError. */
export function validateHwConfig(c: unknown, where = '<config>'): HwConfig {
  if (!isObject(c)) fail('hwInvalid', ['(root)', 'must be a JSON object'], { file: where });
  const params = [...HW_PARAMS, ...ENERGY_PARAMS];
  const known = new Set(params.map((p) => p.path));
  for (const path of leafPaths(c)) {
    if (known.has(path)) continue;
    const isGroup = params.some((p) => p.path.startsWith(`${path}.`));
    fail('hwInvalid', [path, isGroup ? 'must be an object' : 'unknown field'], { file: where });
  }
  for (const p of params) checkParam(p, getPath(c, p.path), where);
  const cfg = c as unknown as HwConfig;
  if (sramBytes(cfg) > 2 ** SRAM_ADDR_BITS) {
    fail(
      'hwInvalid',
      [
        'slices x sram.bytesPerSlice',
        `${sramBytes(cfg)} bytes exceed the ${SRAM_ADDR_BITS}-bit SRAM address space`,
      ],
      { file: where },
    );
  }
  if (cfg.dram.sizeBytes > 2 ** DRAM_ADDR_BITS) {
    fail('hwInvalid', ['dram.sizeBytes', `exceeds the ${DRAM_ADDR_BITS}-bit DRAM address space`], {
      file: where,
    });
  }
  if (cfg.sram.bytesPerSlice % (cfg.sram.banksPerSlice * cfg.sram.accessBytes) !== 0) {
    fail('hwInvalid', ['sram.bytesPerSlice', 'must be a multiple of banksPerSlice x accessBytes'], {
      file: where,
    });
  }
  return cfg;
}

function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(v) && isObject(b) ? deepMerge(b, v) : v;
  }
  return out;
}

const MAX_BASE_DEPTH = 8;

function loadRaw(
  nameOrPath: string,
  from: string | undefined,
  depth: number,
): Record<string, unknown> {
  const preset = PRESETS[nameOrPath];
  if (preset !== undefined) return structuredClone(preset) as unknown as Record<string, unknown>;
  const path = from === undefined ? nameOrPath : resolve(dirname(from), nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return fail('hwUnknown', [nameOrPath, Object.keys(PRESETS).join(', ')]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('hwBadJson', [(e as Error).message], { file: path });
  }
  if (!isObject(json))
    return fail('hwInvalid', ['(root)', 'must be a JSON object'], { file: path });
  const { base, ...rest } = json;
  if (base === undefined) return { name: path, ...rest };
  if (typeof base !== 'string')
    return fail('hwInvalid', ['base', 'must be a preset name or a file path'], { file: path });
  if (depth >= MAX_BASE_DEPTH)
    return fail('hwInvalid', ['base', `more than ${MAX_BASE_DEPTH} nested bases`], { file: path });
  return deepMerge({ ...loadRaw(base, path, depth + 1), name: path }, rest);
}

/**
 * A validated config from a preset name (warboy-2pe, warboy, edge) or a JSON file. A file may be complete or
 * name a base and override some fields: `{ "base": "warboy", "dram": { "gbps": 33 } }`.
 */
export function loadHwConfig(nameOrPath: string = DEFAULT_PRESET): HwConfig {
  const raw = loadRaw(nameOrPath, undefined, 0);
  return validateHwConfig(
    raw,
    PRESETS[nameOrPath] !== undefined ? `preset ${nameOrPath}` : nameOrPath,
  );
}

/** JSON with sorted keys, so equal configs give equal text. */
function canonicalJson(v: unknown): string {
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Config fields that only label it, and the energy table (it changes no program, so programs keep their config). */
const NOT_HARDWARE: ReadonlySet<string> = new Set(['name', 'description', 'energy']);

/** FNV-1a 64 of the canonical JSON of every parameter that affects the programs (not name, description, energy). */
export function fingerprint(c: HwConfig): bigint {
  const hw = Object.fromEntries(Object.entries(c).filter(([k]) => !NOT_HARDWARE.has(k)));
  return fnv1a64(new TextEncoder().encode(canonicalJson(hw)));
}

export const fingerprintHex = (c: HwConfig): string => hex(fingerprint(c), 16);
