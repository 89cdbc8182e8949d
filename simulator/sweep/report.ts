// Sweep outputs: results.csv (one row per point), SVG plots and an index.html that shows them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { macsPerCycle } from '../../isa/hw-config.js';
import { dramBytesPerCycle } from '../timing.js';
import type { Axis, GridPoint } from './grid.js';
import type { PointResult } from './point.js';
import { escapeXml, lineChart, rooflineChart, timelineChart, type Series } from './svg.js';

export const METRIC_COLUMNS = [
  'inferences',
  'cycles',
  'latency_us',
  'throughput_ips',
  'split_throughput_ips',
  'mac_utilisation',
  'useful_macs',
  'dram_bytes',
  'sram_bytes',
  'energy_uj',
  'tops_per_w',
  'average_w',
  'compile_ms',
  'sim_ms',
  'error',
] as const;

const csvCell = (v: string | number | undefined): string => {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The CSV text: point, one column per axis (the values as given), hw, then METRIC_COLUMNS. */
export function resultsCsv(
  axes: readonly Axis[],
  points: readonly GridPoint[],
  results: readonly PointResult[],
): string {
  const head = ['point', ...axes.map((a) => a.key), 'hw', ...METRIC_COLUMNS];
  const rows = points.map((p, k) => {
    const r = results[k];
    const m = r.metrics;
    return [
      p.index,
      ...p.labels,
      p.config.name,
      m?.inferences,
      m?.cycles,
      m?.latencyUs,
      m?.throughputIps,
      m?.splitThroughputIps,
      m?.macUtilisation,
      m?.usefulMacs,
      m?.dramBytes,
      m?.sramBytes,
      m?.energyUj,
      m?.topsPerWatt,
      m?.averageW,
      Math.round(r.compileMs),
      Math.round(r.simMs),
      r.error,
    ];
  });
  return `${[head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** For each axis: one series per combination of the other axes' values, y = metric at each of the axis's values. */
function seriesAlong(
  axes: readonly Axis[],
  points: readonly GridPoint[],
  ys: readonly number[],
  a: number,
): Series[] {
  const groups = new Map<string, number[]>();
  points.forEach((p, k) => {
    const others = p.labels.flatMap((l, j) => (j === a ? [] : [`${axes[j].key}=${l}`])).join(' ');
    const row = groups.get(others) ?? new Array<number>(axes[a].values.length).fill(Number.NaN);
    row[axes[a].values.findIndex((v) => v.label === p.labels[a])] = ys[k];
    groups.set(others, row);
  });
  return [...groups].map(([name, row]) => ({ name: name === '' ? 'all' : name, ys: row }));
}

export interface SweepReport {
  readonly files: string[];
}

/** Writes everything under `dir`; returns the files written (relative to `dir`). */
export function writeSweepReport(
  dir: string,
  title: string,
  axes: readonly Axis[],
  points: readonly GridPoint[],
  results: readonly PointResult[],
): SweepReport {
  mkdirSync(join(dir, 'plots'), { recursive: true });
  const files: string[] = [];
  const put = (rel: string, content: string): void => {
    writeFileAtomic(join(dir, rel), content);
    files.push(rel);
  };
  put('results.csv', resultsCsv(axes, points, results));
  const latency = results.map((r) => r.metrics?.latencyUs ?? Number.NaN);
  const energy = results.map((r) => r.metrics?.energyUj ?? Number.NaN);
  const sweepPlots: string[] = [];
  axes.forEach((a, k) => {
    const xs = a.values.map((v) => v.label);
    const rel = `plots/latency-vs-${fileSafe(a.key)}.svg`;
    put(
      rel,
      lineChart(
        `latency vs ${a.key}`,
        a.key,
        'latency per inference (us)',
        xs,
        seriesAlong(axes, points, latency, k),
      ),
    );
    const relE = `plots/energy-vs-${fileSafe(a.key)}.svg`;
    put(
      relE,
      lineChart(
        `energy per inference vs ${a.key}`,
        a.key,
        'energy (uJ)',
        xs,
        seriesAlong(axes, points, energy, k),
      ),
    );
    sweepPlots.push(rel, relE);
  });
  const pointPlots: string[][] = points.map((p, k) => {
    const r = results[k];
    const out: string[] = [];
    if (r.layers !== undefined) {
      const rel = `plots/roofline-${p.index}.svg`;
      const layers = r.layers
        .filter((l) => l.macs > 0)
        .map((l) => ({
          name: l.node,
          intensity: l.dramBytes === 0 ? Infinity : l.macs / l.dramBytes,
          perf: l.macs / Math.max(1, l.end - l.start),
        }));
      put(
        rel,
        rooflineChart(
          `roofline, point ${p.index}`,
          macsPerCycle(p.config),
          dramBytesPerCycle(p.config),
          layers,
        ),
      );
      out.push(rel);
    }
    if (r.timeline !== undefined) {
      const rel = `plots/timeline-${p.index}.svg`;
      put(
        rel,
        timelineChart(
          `engine utilisation, point ${p.index}`,
          r.timeline.cycles,
          r.timeline.engines,
        ),
      );
      out.push(rel);
    }
    return out;
  });
  const table = [
    `<tr>${['point', ...axes.map((a) => a.key), 'latency us', 'inf/s', 'MAC util.', 'DRAM MB', 'uJ/inf', 'TOPS/W', 'error'].map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`,
    ...points.map((p, k) => {
      const m = results[k].metrics;
      const cells = [
        String(p.index),
        ...p.labels,
        m?.latencyUs.toFixed(2) ?? '',
        m?.throughputIps.toFixed(1) ?? '',
        m === undefined ? '' : `${(100 * m.macUtilisation).toFixed(2)}%`,
        m === undefined ? '' : (m.dramBytes / 1e6).toFixed(3),
        m?.energyUj.toFixed(2) ?? '',
        m?.topsPerWatt.toFixed(3) ?? '',
        results[k].error ?? '',
      ];
      return `<tr>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
    }),
  ].join('\n');
  const img = (rel: string): string => `<img src="${escapeXml(rel)}" alt="${escapeXml(rel)}"/>`;
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"/>',
    `<title>${escapeXml(title)}</title>`,
    '<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{max-width:100%;margin:4px}</style>',
    '</head><body>',
    `<h1>${escapeXml(title)}</h1>`,
    '<p><a href="results.csv">results.csv</a> has every column (cycles, throughput, split-mode throughput, SRAM bytes, average power, compile and simulation times).</p>',
    `<table>\n${table}\n</table>`,
    '<h2>Latency and energy against each swept parameter</h2>',
    sweepPlots.map(img).join('\n'),
    '<h2>Per point: layer roofline and engine timeline</h2>',
    ...points.map(
      (p, k) =>
        `<h3>point ${p.index}: ${escapeXml(p.config.name)}</h3>\n${pointPlots[k].map(img).join('\n')}`,
    ),
    '</body></html>',
    '',
  ].join('\n');
  put('index.html', html);
  return { files };
}
