// The hardware sweep end to end on the digits CNN: CSV rows, monotonic laws, well-formed SVG/HTML, one-line errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { loadModel } from '../../onnx/model-io.js';
import { gridPoints, parseAxis } from '../../simulator/sweep/grid.js';
import { runPoint } from '../../simulator/sweep/point.js';
import { sweep, type SweepResult } from '../../simulator/sweep/sweep.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = join(ROOT, 'test', 'fixtures', 'models', 'digits-cnn.qdq.onnx');
const out = mkdtempSync(join(tmpdir(), 'npu-sweep-'));

/** RFC 4180 rows (quoted cells may hold commas). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.trimEnd().split('\n')) {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let k = 0; k < line.length; k++) {
      const c = line[k];
      if (quoted && c === '"' && line[k + 1] === '"') {
        cur += '"';
        k++;
      } else if (c === '"') quoted = !quoted;
      else if (c === ',' && !quoted) {
        cells.push(cur);
        cur = '';
      } else cur += c;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

/** Well-formed enough: every start tag is closed in order, attributes are quoted, one root element. */
function checkXml(text: string): string {
  const body = text.replace(/^<!DOCTYPE[^>]*>\s*/i, '');
  const stack: string[] = [];
  let roots = 0;
  const voidHtml = new Set(['meta', 'img', 'br', 'hr', 'link', 'input']);
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (close === '/') {
      if (stack.pop() !== name) return `unbalanced </${name}>`;
    } else if (self !== '/' && !voidHtml.has(name)) {
      if (stack.length === 0) roots++;
      stack.push(name);
    }
  }
  const stray = body.replace(/<[^>]*>/g, '').match(/[<>]/);
  if (stack.length > 0) return `unclosed <${stack.at(-1)}>`;
  if (roots !== 1) return `${roots} root elements`;
  if (stray !== null) return 'stray < or >';
  return 'ok';
}

let r: SweepResult;
let rows: Record<string, string>[];

beforeAll(async () => {
  r = await sweep({
    model: MODEL,
    hw: 'edge',
    sets: ['mac.width=8,16', 'sram.kib=32,64', 'dram.gbps=2,8'],
    outDir: out,
    jobs: 2,
    timelineBins: 50,
  });
  const [head, ...body] = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
  rows = body.map((cells) => {
    expect(cells.length).toBe(head.length);
    return Object.fromEntries(head.map((h, k) => [h, cells[k]]));
  });
}, 60_000);

describe('npusim sweep on digits-cnn (edge base, 3 parameters x 2 values)', () => {
  test('results.csv has one row per point with every parameter and metric', () => {
    expect(rows.length).toBe(8);
    const head = Object.keys(rows[0]);
    for (const c of [
      'point',
      'mac.width',
      'sram.kib',
      'dram.gbps',
      'cycles',
      'latency_us',
      'throughput_ips',
      'mac_utilisation',
      'dram_bytes',
      'energy_uj',
      'tops_per_w',
    ])
      expect(head).toContain(c);
    const combos = new Set(rows.map((x) => `${x['mac.width']}/${x['sram.kib']}/${x['dram.gbps']}`));
    expect(combos.size).toBe(8);
    for (const x of rows) {
      expect(x.error).toBe('');
      expect(Number(x.cycles)).toBeGreaterThan(0);
      expect(Number(x.latency_us)).toBeCloseTo(Number(x.cycles) / 1000, 3); // edge: 1000 MHz
      expect(Number(x.energy_uj)).toBeGreaterThan(0);
      expect(Number(x.mac_utilisation)).toBeGreaterThan(0);
      expect(Number(x.mac_utilisation)).toBeLessThanOrEqual(1);
    }
  });

  test('the configs carry the swept values (sram.kib is KiB)', () => {
    const p = r.points.find((q) => q.labels.join() === '16,64,2')!;
    expect([p.config.mac.width, p.config.sram.bytesPerSlice, p.config.dram.gbps]).toEqual([
      16, 65536, 2,
    ]);
  });

  const pairs = (axis: number): [number, number][] => {
    const out: [number, number][] = [];
    r.points.forEach((a, i) => {
      r.points.forEach((b, j) => {
        const same = a.labels.every((l, k) => k === axis || l === b.labels[k]);
        if (same && Number(a.labels[axis]) < Number(b.labels[axis])) out.push([i, j]);
      });
    });
    return out;
  };

  test('more DRAM bandwidth never increases cycles', () => {
    expect(pairs(2).length).toBe(4);
    for (const [lo, hi] of pairs(2))
      expect(r.results[hi].metrics!.cycles).toBeLessThanOrEqual(r.results[lo].metrics!.cycles);
  });

  test('a wider MAC array never increases conv cycles (MAC engine busy time)', () => {
    const macCycles = (k: number): number =>
      r.results[k].layers!.reduce((a, l) => a + l.macCycles, 0);
    for (const [lo, hi] of pairs(0)) expect(macCycles(hi)).toBeLessThanOrEqual(macCycles(lo));
    expect(macCycles(pairs(0)[0][1])).toBeLessThan(macCycles(pairs(0)[0][0]));
  });

  test('per-layer MACs add up to the simulated useful MACs', () => {
    for (const res of r.results)
      expect(res.layers!.reduce((a, l) => a + l.macs, 0)).toBe(res.metrics!.usefulMacs);
  });

  test('parallel workers give the same numbers as running in process', () => {
    const model = loadModel(MODEL);
    const p = r.points[5];
    const here = runPoint(model, {
      index: 5,
      config: p.config,
      batch: 1,
      seed: 'npusweep',
      detail: true,
      timelineBins: 50,
    });
    expect(here.metrics).toEqual(r.results[5].metrics);
  });

  test('SVG plots and index.html exist and are well-formed', () => {
    const svgs = r.files.filter((f) => f.endsWith('.svg'));
    for (const k of ['mac.width', 'sram.kib', 'dram.gbps'])
      expect(svgs).toContain(`plots/latency-vs-${k}.svg`);
    expect(svgs).toContain('plots/roofline-0.svg');
    expect(svgs).toContain('plots/timeline-0.svg');
    for (const f of svgs) {
      const text = readFileSync(join(out, f), 'utf8');
      expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), f).toBe(true);
      expect(checkXml(text), f).toBe('ok');
      expect(text, f).not.toMatch(/NaN|Infinity|undefined/);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(checkXml(html)).toBe('ok');
    for (const f of svgs) expect(html).toContain(`src="${f}"`);
    expect(existsSync(join(out, 'results.csv'))).toBe(true);
  });
});

describe('sweep errors are one line naming the key', () => {
  const base = loadHwConfig('edge');
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof NpuError) return e.format();
      throw e;
    }
    return 'no error';
  };
  test.each([
    [
      'mac.wdth=8,16',
      /^error NPU9010: --set mac\.wdth: unknown parameter \(known: .*mac\.width.*sram\.kib/,
    ],
    [
      'mac.width=0,8',
      /^error NPU9010: --set mac\.width=0: invalid hardware config: mac\.width: must be >= 1, got 0$/,
    ],
    ['dram.gbps=fast', /^error NPU9010: --set dram\.gbps=fast: not a number$/],
    ['sram.kib=48', /sram\.kib=48: .*sram\.bytesPerSlice: must be a power of two, got 49152$/],
    ['requant=float,double', /requant=double: .*must be one of 'float', 'fixed'/],
    ['mac.width', /^error NPU9010: --set mac\.width: expected key=v1,v2,\.\.\.$/],
  ])('%s', (spec, message) => {
    expect(err(() => parseAxis(spec, base))).toMatch(message);
  });

  test('the same parameter twice', () => {
    const axes = [parseAxis('sram.kib=32', base), parseAxis('sram.bytesPerSlice=65536', base)];
    expect(err(() => gridPoints(base, axes))).toMatch(
      /sram\.bytesPerSlice: set by two --set options/,
    );
  });

  test('the CLI prints the error as one line and exits 1', () => {
    const p = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'simulator/cli.ts'),
        'sweep',
        MODEL,
        '--hw',
        'edge',
        '--set',
        'mac.height=3,x',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(p.status).toBe(1);
    expect(p.stderr).toBe('error NPU9010: --set mac.height=x: not a number\n');
  });
});
