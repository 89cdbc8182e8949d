// The plot folder's pages: one SVG chart per histogram, and index.html listing the layers (most sensitive first).

import type { SensitivityReport } from '../sensitivity.js';
import type { LayerPlots, PlotHistogram } from './plots.js';
import { escapeXml, formatValue, renderHistogramSvg } from './svg-histogram.js';

const COLORS = { float: '#1f77b4', dequantized: '#d62728', clip: '#2ca02c' } as const;

const dbCell = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '∞');
const attr = (s: string): string => escapeXml(encodeURI(s));

export function renderPlotsIndex(layers: readonly LayerPlots[], s: SensitivityReport): string {
  const agreement =
    s.output.top1Agreement === null
      ? ''
      : `, top-1 agreement with float ${(100 * s.output.top1Agreement).toFixed(2)}%`;
  const rows = layers.map((l) => {
    const links = l.histograms
      .map(
        (h) =>
          `<a href="${attr(h.file)}">${escapeXml(h.kind === 'weight' ? `weight ${h.tensor}` : 'activation')}</a>`,
      )
      .join(', ');
    return `<tr><td>${l.rank}</td><td><a href="#layer-${l.rank}">${escapeXml(l.node)}</a></td><td>${escapeXml(l.opType)}</td><td>${escapeXml(l.tensor)}</td><td>${dbCell(l.sqnrDb)}</td><td>${links || '—'}</td></tr>`;
  });
  const sections = layers.map((l) => {
    const imgs = l.histograms.map(
      (h) =>
        `<p><img src="${attr(h.file)}" alt="${escapeXml(`${h.kind} histogram of ${h.tensor}`)}" width="720" height="420"></p>`,
    );
    return [
      `<h2 id="layer-${l.rank}">#${l.rank} ${escapeXml(l.node)} (${escapeXml(l.opType)})</h2>`,
      ...imgs,
    ].join('\n');
  });
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>npuq: quantization histograms</title>',
    '<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}</style>',
    '</head>',
    '<body>',
    '<h1>Quantization histograms</h1>',
    `<p>The ${layers.length} most sensitive layers: lowest SQNR of the dequantized layer output against float over ${s.samples} calibration samples (accumulated error from the input on). Model output ${escapeXml(s.output.name)}: SQNR ${dbCell(s.output.sqnrDb)} dB${agreement}. Each plot overlays the float values (filled) and the dequantized integer values (line); the dashed lines mark the clip range.</p>`,
    '<table>',
    '<tr><th>#</th><th>layer</th><th>op</th><th>output tensor</th><th>SQNR (dB)</th><th>plots</th></tr>',
    ...rows,
    '</table>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const dB = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} dB` : 'exact');

/** The SVG chart of one histogram of layer `l`. */
export function renderPlot(l: LayerPlots, h: PlotHistogram, samples: number): string {
  const values = h.float.reduce((a, b) => a + b, 0);
  const [sMin, sMax] = [Math.min(...h.scales), Math.max(...h.scales)];
  const params =
    h.axis === null
      ? `${h.dtype} per tensor: scale ${formatValue(sMin)}, zero point ${h.zeroPoint}`
      : `${h.dtype} per channel (axis ${h.axis}, ${h.scales.length} channels): scale ${formatValue(sMin)} to ${formatValue(sMax)}, zero point ${h.zeroPoint}`;
  const range = (r: readonly number[]): string => `[${formatValue(r[0])}, ${formatValue(r[1])}]`;
  const weight = h.kind === 'weight';
  return renderHistogramSvg({
    title: `#${l.rank} ${l.node} (${l.opType}): ${weight ? `weight ${h.tensor}` : `output ${h.tensor}`}`,
    lines: [
      params,
      `clip range ${range(h.clip)}${h.axis === null ? '' : ' (widest channel)'}; float range ${range(h.floatRange)}`,
      weight
        ? `${values} weights; SQNR of the dequantized weights ${dB(h.sqnrDb)}`
        : `${values} values (${samples} calibration samples); SQNR of the dequantized values ${dB(h.sqnrDb)}`,
    ],
    xLabel: weight ? 'weight value' : 'activation value',
    bins: h.bins,
    series: [
      { label: 'float', counts: h.float, color: COLORS.float, filled: true },
      { label: `dequantized ${h.dtype}`, counts: h.dequantized, color: COLORS.dequantized },
    ],
    markers: [{ xs: h.clip, label: 'clip range', color: COLORS.clip }],
  });
}
