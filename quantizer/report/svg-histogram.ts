// A histogram chart as a hand-written SVG string: overlaid step lines, legend, axis ticks and vertical markers.

/** Uniform bins: bin i covers [start + i·width, start + (i+1)·width). */
export interface BinGrid {
  start: number;
  width: number;
  count: number;
}

export interface HistogramSeries {
  label: string;
  counts: readonly number[];
  color: string;
  /** Fill the area under the step line (the background series). */
  filled?: boolean;
}

/** Vertical dashed lines at `xs` with one legend entry (e.g. both ends of the clip range). */
export interface HistogramMarker {
  xs: readonly number[];
  label: string;
  color: string;
}

export interface HistogramChart {
  title: string;
  /** Information lines under the title (parameters, SQNR, ...). At most three are shown. */
  lines: readonly string[];
  xLabel: string;
  bins: BinGrid;
  series: readonly HistogramSeries[];
  markers: readonly HistogramMarker[];
  /** Counts on a log10(1 + count) axis (default), so rare clipped outliers stay visible. */
  logY?: boolean;
}

const WIDTH = 720;
const HEIGHT = 420;
const LEFT = 70;
const RIGHT = 24;
const BOTTOM = 52;
const LINE_H = 16;

export function escapeXml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A coordinate with one decimal: fixed text, so the same chart always gives the same bytes. */
const px = (v: number): string => {
  const s = v.toFixed(1);
  return s === '-0.0' ? '0.0' : s;
};

/** A short, stable text form of a parameter (6 significant digits). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return String(Number(v.toPrecision(6)));
}

/**
 * About `target` round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi], ascending. A degenerate
 * range gives the one value.
 */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * pow).find((s) => s >= raw) ?? 10 * pow;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  // integer multiples of the step, so ticks carry no accumulated rounding
  for (let k = first; k <= last; k++) ticks.push(k * step);
  return ticks;
}

/** Tick label with just enough decimals for the step between ticks. */
export function formatTick(v: number, step: number): string {
  const mag = Math.max(Math.abs(v), step);
  if (v !== 0 && step > 0 && (step < 1e-3 || mag >= 1e6)) {
    const digits = Math.max(0, Math.floor(Math.log10(mag)) - Math.floor(Math.log10(step)));
    return v.toExponential(Math.min(digits, 6));
  }
  const decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 0;
  const s = v.toFixed(Math.min(decimals, 8));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The step outline of one series, from the baseline over every bin and back to the baseline. */
function stepPath(
  counts: readonly number[],
  xAt: (i: number) => number,
  yAt: (c: number) => number,
  closed: boolean,
): string {
  const parts = [`M${px(xAt(0))} ${px(yAt(0))}`];
  counts.forEach((c, i) => {
    parts.push(`V${px(yAt(c))}`, `H${px(xAt(i + 1))}`);
  });
  parts.push(`V${px(yAt(0))}`);
  if (closed) parts.push('Z');
  return parts.join(' ');
}

export function renderHistogramSvg(chart: HistogramChart): string {
  const lines = chart.lines.slice(0, 3);
  const top = 30 + LINE_H * (lines.length + 1) + 14;
  const x0 = LEFT;
  const x1 = WIDTH - RIGHT;
  const yBottom = HEIGHT - BOTTOM;
  const { start, width, count } = chart.bins;
  const lo = start;
  const hi = start + width * count;
  const xOf = (v: number): number => x0 + ((v - lo) / (hi - lo)) * (x1 - x0);
  const xAt = (i: number): number => xOf(start + i * width);

  const logY = chart.logY ?? true;
  const maxCount = Math.max(1, ...chart.series.flatMap((s) => s.counts));
  const yv = (c: number): number => (logY ? Math.log10(1 + c) : c);
  // log axis: 0 and the powers of ten up to the largest count
  const yTicks = logY
    ? [0, ...Array.from({ length: Math.floor(Math.log10(maxCount)) + 1 }, (_, k) => 10 ** k)]
    : niceTicks(0, maxCount, 5);
  const yTopValue = yv(maxCount) * 1.04;
  const yAt = (c: number): number => yBottom - (yv(c) / yTopValue) * (yBottom - top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  lines.forEach((l, i) => {
    out.push(`<text x="${LEFT}" y="${30 + LINE_H * (i + 1)}">${escapeXml(l)}</text>`);
  });

  // legend: one swatch per series, then the markers
  const legendY = 30 + LINE_H * (lines.length + 1);
  let lx = LEFT;
  for (const s of chart.series) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="14" height="10" fill="${s.color}" fill-opacity="${s.filled === true ? 0.35 : 0}" stroke="${s.color}" stroke-width="1.5"/>`,
      `<text x="${lx + 19}" y="${legendY}">${escapeXml(s.label)}</text>`,
    );
    lx += 30 + 6.5 * s.label.length;
  }
  for (const m of chart.markers) {
    out.push(
      `<line x1="${lx}" y1="${legendY - 4}" x2="${lx + 14}" y2="${legendY - 4}" stroke="${m.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      `<text x="${lx + 19}" y="${legendY}">${escapeXml(m.label)}</text>`,
    );
    lx += 30 + 6.5 * m.label.length;
  }

  // axes and ticks
  out.push(
    `<line x1="${x0}" y1="${yBottom}" x2="${x1}" y2="${yBottom}" stroke="black"/>`,
    `<line x1="${x0}" y1="${top}" x2="${x0}" y2="${yBottom}" stroke="black"/>`,
  );
  const xTicks = niceTicks(lo, hi, 8);
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : Math.abs(lo) || 1;
  for (const t of xTicks) {
    const x = px(xOf(t));
    out.push(
      `<line x1="${x}" y1="${yBottom}" x2="${x}" y2="${yBottom + 5}" stroke="black"/>`,
      `<text x="${x}" y="${yBottom + 18}" text-anchor="middle">${formatTick(t, xStep)}</text>`,
    );
  }
  const yStep = logY ? 1 : yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
  for (const t of yTicks) {
    const y = px(yAt(t));
    out.push(
      `<line x1="${x0 - 5}" y1="${y}" x2="${x0}" y2="${y}" stroke="black"/>`,
      `<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${x0 - 8}" y="${px(yAt(t) + 4)}" text-anchor="end">${formatTick(t, yStep)}</text>`,
    );
  }
  out.push(
    `<text x="${px((x0 + x1) / 2)}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text x="16" y="${px((top + yBottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${px((top + yBottom) / 2)})">${logY ? 'count (log scale)' : 'count'}</text>`,
  );

  // the series, background (filled) first
  const ordered = [...chart.series].sort(
    (a, b) => Number(b.filled === true) - Number(a.filled === true),
  );
  for (const s of ordered) {
    const filled = s.filled === true;
    out.push(
      `<path d="${stepPath(s.counts, xAt, yAt, filled)}" fill="${filled ? s.color : 'none'}" fill-opacity="${filled ? 0.35 : 0}" stroke="${s.color}" stroke-width="${filled ? 1 : 1.5}"/>`,
    );
  }
  for (const m of chart.markers) {
    for (const v of m.xs) {
      if (v < lo || v > hi) continue;
      const x = px(xOf(v));
      out.push(
        `<line x1="${x}" y1="${top}" x2="${x}" y2="${yBottom}" stroke="${m.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
        // the value beside its line, on the inner side near the right edge
        xOf(v) > x1 - 60
          ? `<text x="${px(xOf(v) - 3)}" y="${top + 10}" fill="${m.color}" font-size="10" text-anchor="end">${escapeXml(formatValue(v))}</text>`
          : `<text x="${px(xOf(v) + 3)}" y="${top + 10}" fill="${m.color}" font-size="10">${escapeXml(formatValue(v))}</text>`,
      );
    }
  }
  out.push('</svg>', '');
  return out.join('\n');
}
