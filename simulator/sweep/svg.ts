// Dependency-free SVG charts for sweeps: line charts over a categorical axis, a log-log roofline, an engine timeline.

const W = 720;
const H = 420;
const M = { left: 80, right: 200, top: 40, bottom: 60 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

export const escapeXml = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

const fmt = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-2) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
};

const text = (x: number, y: number, s: string, extra = ''): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="12" font-family="sans-serif" ${extra}>${escapeXml(s)}</text>`;

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    text(W / 2 - M.right / 2, 24, title, 'text-anchor="middle" font-weight="bold"'),
    `<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#333"/>`,
    text(M.left + PLOT_W / 2, H - 16, xLabel, 'text-anchor="middle"'),
    text(
      18,
      M.top + PLOT_H / 2,
      yLabel,
      `text-anchor="middle" transform="rotate(-90 18 ${M.top + PLOT_H / 2})"`,
    ),
    ...body,
    '</svg>',
  ].join('\n');
}

function legend(names: readonly string[]): string[] {
  return names.slice(0, 16).map((n, k) => {
    const y = M.top + 12 + k * 18;
    const x = M.left + PLOT_W + 12;
    return `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${COLORS[k % COLORS.length]}"/>${text(x + 18, y, n.length > 26 ? `${n.slice(0, 25)}…` : n)}`;
  });
}

export interface Series {
  readonly name: string;
  /** One y per x category (NaN: missing point). */
  readonly ys: readonly number[];
}

/** A line chart over categorical x values (the swept values, in the order given), y from 0. */
export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  xs: readonly string[],
  series: readonly Series[],
): string {
  const all = series.flatMap((s) => s.ys.filter(Number.isFinite));
  const yMax = Math.max(1e-12, ...all) * 1.1;
  const xAt = (k: number): number =>
    M.left + (xs.length === 1 ? PLOT_W / 2 : (k / (xs.length - 1)) * PLOT_W * 0.9 + PLOT_W * 0.05);
  const yAt = (v: number): number => M.top + PLOT_H - (v / yMax) * PLOT_H;
  const body: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (yMax * t) / 4;
    body.push(
      `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${yAt(v)}" y2="${yAt(v)}" stroke="#ddd"/>`,
    );
    body.push(text(M.left - 6, yAt(v) + 4, fmt(v), 'text-anchor="end"'));
  }
  xs.forEach((x, k) => body.push(text(xAt(k), M.top + PLOT_H + 18, x, 'text-anchor="middle"')));
  series.forEach((s, k) => {
    const c = COLORS[k % COLORS.length];
    const pts = s.ys.flatMap((y, i) =>
      Number.isFinite(y) ? [`${xAt(i).toFixed(1)},${yAt(y).toFixed(1)}`] : [],
    );
    body.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      body.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${c}"/>`);
    }
  });
  body.push(...legend(series.map((s) => s.name)));
  return frame(title, xLabel, yLabel, body);
}

export interface RooflinePoint {
  readonly name: string;
  /** MACs per DRAM byte. */
  readonly intensity: number;
  /** Achieved MACs per cycle. */
  readonly perf: number;
}

/**
 * The roofline of a config (peak MACs/cycle, DRAM bytes/cycle) on log-log axes with one dot per layer; layers with
 * no DRAM traffic are drawn at the right edge.
 */
export function rooflineChart(
  title: string,
  peak: number,
  bytesPerCycle: number,
  layers: readonly RooflinePoint[],
): string {
  const finite = layers.filter((l) => l.perf > 0);
  const ints = finite.map((l) => l.intensity).filter((v) => Number.isFinite(v) && v > 0);
  const ridge = peak / bytesPerCycle;
  const xMin = 10 ** Math.floor(Math.log10(Math.min(ridge / 10, ...ints)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(ridge * 10, ...ints)));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(peak / 1e3, ...finite.map((l) => l.perf))));
  const yMax = 10 ** Math.ceil(Math.log10(peak * 1.01));
  const lx = (v: number): number =>
    M.left + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * PLOT_W;
  const ly = (v: number): number =>
    M.top +
    PLOT_H -
    ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * PLOT_H;
  const body: string[] = [];
  for (let e = Math.log10(xMin); e <= Math.log10(xMax); e++) {
    body.push(
      `<line x1="${lx(10 ** e)}" x2="${lx(10 ** e)}" y1="${M.top}" y2="${M.top + PLOT_H}" stroke="#eee"/>`,
    );
    body.push(text(lx(10 ** e), M.top + PLOT_H + 18, fmt(10 ** e), 'text-anchor="middle"'));
  }
  for (let e = Math.log10(yMin); e <= Math.log10(yMax); e++) {
    body.push(
      `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${ly(10 ** e)}" y2="${ly(10 ** e)}" stroke="#eee"/>`,
    );
    body.push(text(M.left - 6, ly(10 ** e) + 4, fmt(10 ** e), 'text-anchor="end"'));
  }
  const x0 = Math.max(xMin, yMin / bytesPerCycle);
  body.push(
    `<polyline fill="none" stroke="#333" stroke-width="2" points="${lx(x0)},${ly(x0 * bytesPerCycle)} ${lx(ridge)},${ly(peak)} ${lx(xMax)},${ly(peak)}"/>`,
  );
  body.push(
    text(lx(ridge) + 6, ly(peak) - 6, `peak ${fmt(peak)} MAC/cycle, ridge ${fmt(ridge)} MAC/B`),
  );
  for (const l of finite) {
    const x =
      Number.isFinite(l.intensity) && l.intensity > 0
        ? lx(Math.min(l.intensity, xMax))
        : lx(xMax) - 4;
    body.push(
      `<circle cx="${x.toFixed(1)}" cy="${ly(Math.max(l.perf, yMin)).toFixed(1)}" r="3.5" fill="${COLORS[0]}" fill-opacity="0.7"><title>${escapeXml(`${l.name}: ${fmt(l.intensity)} MAC/B, ${fmt(l.perf)} MAC/cycle`)}</title></circle>`,
    );
  }
  body.push(...legend(['layer (hover: name)']));
  return frame(title, 'arithmetic intensity (MACs per DRAM byte)', 'MACs per cycle', body);
}

/** One lane per engine; the shade of each time bin is the engine's busy fraction in it. */
export function timelineChart(
  title: string,
  cycles: number,
  engines: Readonly<Record<string, readonly number[]>>,
): string {
  const names = Object.keys(engines);
  const laneH = Math.min(40, PLOT_H / Math.max(1, names.length));
  const body: string[] = [];
  names.forEach((name, k) => {
    const bins = engines[name];
    const y = M.top + k * laneH;
    const bw = PLOT_W / Math.max(1, bins.length);
    body.push(text(M.left - 6, y + laneH / 2 + 4, name, 'text-anchor="end"'));
    bins.forEach((f, b) => {
      if (f > 0)
        body.push(
          `<rect x="${(M.left + b * bw).toFixed(1)}" y="${(y + 2).toFixed(1)}" width="${(bw + 0.3).toFixed(1)}" height="${(laneH - 4).toFixed(1)}" fill="${COLORS[k % COLORS.length]}" fill-opacity="${f.toFixed(2)}"/>`,
        );
    });
    const mean = bins.reduce((a, v) => a + v, 0) / Math.max(1, bins.length);
    body.push(
      text(M.left + PLOT_W + 12, y + laneH / 2 + 4, `${name}: ${(100 * mean).toFixed(1)}% busy`),
    );
  });
  for (let t = 0; t <= 4; t++)
    body.push(
      text(
        M.left + (PLOT_W * t) / 4,
        M.top + PLOT_H + 18,
        fmt((cycles * t) / 4),
        'text-anchor="middle"',
      ),
    );
  return frame(title, 'cycles', '', body);
}
