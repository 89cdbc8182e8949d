// --plots: histogram bins, the SVG chart (well-formed, escaped, markers where they belong) and the plots of the most
// sensitive digits-CNN layers recounted independently from the float and QDQ models.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import {
  prepareForQuantization,
  quantizeModel,
  type QuantizeResult,
} from '../../quantizer/quantize-model.js';
import { gridBins, uniformBins } from '../../quantizer/report/plot-bins.js';
import { buildPlots, writePlots, type PlotHistogram } from '../../quantizer/report/plots.js';
import {
  formatTick,
  niceTicks,
  renderHistogramSvg,
  type HistogramChart,
} from '../../quantizer/report/svg-histogram.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const f32 = Math.fround;

/** Tags nest and close, attribute values are quoted, text has no raw '<' and only known entities. */
function expectWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = xml.startsWith('<!doctype html>') ? '<!doctype html>'.length : 0;
  while (i < xml.length) {
    if (xml[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      expect(m, `bad tag at ${xml.slice(i, i + 40)}`).not.toBeNull();
      const [all, close, name, , selfClose] = m!;
      if (close === '/') expect(stack.pop()).toBe(name);
      else if (selfClose !== '/' && !['meta', 'img'].includes(name)) stack.push(name);
      i += all.length;
    } else {
      const next = xml.indexOf('<', i);
      const text = xml.slice(i, next < 0 ? xml.length : next);
      expect(text.replace(/&(amp|lt|gt|quot|#\d+);/g, '')).not.toMatch(/[&>]/);
      i = next < 0 ? xml.length : next;
    }
  }
  expect(stack).toEqual([]);
}

describe('bins and ticks', () => {
  it('niceTicks: inside the range, evenly spaced by 1, 2 or 5 × 10^k', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
        (lo, span) => {
          const hi = lo + span;
          const t = niceTicks(lo, hi, 6);
          expect(t.length).toBeGreaterThanOrEqual(2);
          expect(t.length).toBeLessThanOrEqual(13);
          const step = t[1] - t[0];
          const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
          expect([1, 2, 5].some((k) => Math.abs(mant - k) < 1e-6)).toBe(true);
          for (let k = 0; k < t.length; k++) {
            expect(t[k]).toBeGreaterThanOrEqual(lo - 1e-9 * span);
            expect(t[k]).toBeLessThanOrEqual(hi + 1e-9 * span);
            if (k > 0) expect(Math.abs(t[k] - t[k - 1] - step)).toBeLessThan(1e-9 * step * 1e3);
          }
        },
      ),
      { seed: 11 },
    );
  });

  it('formatTick prints just enough decimals and no negative zero', () => {
    expect(formatTick(0.1 + 0.2, 0.1)).toBe('0.3');
    expect(formatTick(-1e-17, 0.5)).toBe('0.0');
    expect(formatTick(0, 1)).toBe('0');
    expect(formatTick(2.5, 0.5)).toBe('2.5');
    expect(formatTick(40, 20)).toBe('40');
    expect(formatTick(3e-5, 1e-5)).toBe('3e-5');
  });

  it('gridBins: every code of the int8 grid sits inside one bin of m whole codes, within maxBins', () => {
    fc.assert(
      fc.property(
        fc.float({ min: f32(1e-4), max: f32(10), noNaN: true }),
        fc.integer({ min: -128, max: 127 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer({ min: 8, max: 200 }),
        (s, zp, extra, maxBins) => {
          const lo = (-128 - zp) * s - extra * 100 * s;
          const hi = (127 - zp) * s;
          const b = gridBins(lo, hi, s, zp, -128, maxBins);
          expect(b.count).toBeLessThanOrEqual(maxBins);
          expect(b.width / s).toBeCloseTo(b.codesPerBin, 9);
          expect(b.start).toBeLessThanOrEqual(lo + 1e-9);
          expect(b.start + b.count * b.width).toBeGreaterThanOrEqual(hi - 1e-9);
          for (let q = -128; q <= 127; q++) {
            const x = f32(f32(q - zp) * s);
            const i = b.index(x);
            // bin edges are half a code away from every grid value
            expect(x - (b.start + i * b.width)).toBeGreaterThan(0.49 * s);
            expect(b.start + (i + 1) * b.width - x).toBeGreaterThan(0.49 * s);
          }
        },
      ),
      { seed: 12, numRuns: 60 },
    );
  });

  it('uniformBins put the range ends into the first and last bin', () => {
    const b = uniformBins(-1, 3, 8);
    expect([
      b.index(-1),
      b.index(-0.51),
      b.index(-0.49),
      b.index(3),
      b.index(99),
      b.index(NaN),
    ]).toEqual([0, 0, 1, 7, 7, 0]);
  });
});

describe('renderHistogramSvg', () => {
  const chart: HistogramChart = {
    title: 'layer <a & b>',
    lines: ['scale 0.5, zero point -3'],
    xLabel: 'value',
    bins: { start: -2, width: 0.5, count: 8 },
    series: [
      { label: 'float', counts: [0, 1, 5, 20, 300, 20, 2, 1], color: '#1f77b4', filled: true },
      { label: 'dequantized int8', counts: [0, 0, 6, 21, 299, 20, 3, 0], color: '#d62728' },
    ],
    markers: [{ xs: [-1.25, 1.5], label: 'clip range', color: '#2ca02c' }],
  };

  it('is well-formed SVG with the title escaped, a legend entry per series and marker, the same bytes twice', () => {
    const svg = renderHistogramSvg(chart);
    expectWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('layer &lt;a &amp; b&gt;');
    for (const l of ['float', 'dequantized int8', 'clip range', 'scale 0.5, zero point -3'])
      expect(svg).toContain(`>${l}</text>`);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(renderHistogramSvg(chart)).toBe(svg);
  });

  it('draws the clip markers at their x on the axis (plot area x 70 … 696 over [-2, 2])', () => {
    const svg = renderHistogramSvg(chart);
    for (const v of [-1.25, 1.5]) {
      const x = (70 + ((v + 2) / 4) * (696 - 70)).toFixed(1);
      expect(svg).toMatch(
        new RegExp(`<line x1="${x}" y1="\\d+" x2="${x}" y2="368" stroke="#2ca02c"`),
      );
    }
    // x tick labels every 0.5 from -2 to 2, with one decimal
    for (const t of ['-2.0', '-1.5', '0.0', '1.5', '2.0'])
      expect(svg).toContain(`text-anchor="middle">${t}</text>`);
  });
});

describe('plots of the digits CNN', () => {
  let model: Model;
  let calib: Tensor;
  let res: QuantizeResult;

  beforeAll(async () => {
    model = loadModel(join(DIR, 'digits-cnn.onnx'));
    calib = readNpy(join(DIR, 'digits-calib-x.npy'));
    res = await quantizeModel(model, calib, { plots: { layers: 3 } });
  });

  const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);
  const binOf = (h: PlotHistogram, v: number): number =>
    Math.min(h.bins.count - 1, Math.max(0, Math.floor((v - h.bins.start) / h.bins.width)));

  it('plots the 3 most sensitive layers of the sensitivity report, computed although not asked for', () => {
    const s = res.report.sensitivity!;
    expect(s).toBeDefined();
    expect(res.plots!.layers.map((l) => l.node)).toEqual(s.layers.slice(0, 3).map((l) => l.node));
    for (const l of res.plots!.layers)
      expect(l.histograms.some((h) => h.kind === 'activation')).toBe(true);
    const convs = res.plots!.layers.filter((l) => l.opType === 'Conv');
    expect(convs.length).toBeGreaterThan(0);
    for (const l of convs) expect(l.histograms.filter((h) => h.kind === 'weight')).toHaveLength(1);
  });

  it('activation histograms recount from independent float and literal-QDQ runs of the calibration set', () => {
    const prepared = prepareForQuantization(model).model;
    const f = runModel(prepared, { input: calib }, { keepIntermediates: true });
    const q = runModel(res.model, { input: calib }, { keepIntermediates: true, literalQdq: true });
    for (const l of res.plots!.layers) {
      const h = l.histograms.find((k) => k.kind === 'activation')!;
      const qn = res.model.graph.nodes.find(
        (n) => n.opType === 'QuantizeLinear' && n.inputs[0] === l.tensor,
      )!;
      const dq = res.model.graph.nodes.find((n) => n.inputs[0] === qn.outputs[0])!;
      const s = Number(res.model.graph.initializers.get(qn.inputs[1])!.data[0]);
      const zp = Number(res.model.graph.initializers.get(qn.inputs[2])!.data[0]);
      expect(h.scales).toEqual([s]);
      expect(h.zeroPoint).toBe(zp);
      expect(h.clip).toEqual([(-128 - zp) * s, (127 - zp) * s]);
      const fv = f[l.tensor].data as Float32Array;
      const qv = q[dq.outputs[0]].data as Float32Array;
      const fc2 = new Array<number>(h.bins.count).fill(0);
      const qc = new Array<number>(h.bins.count).fill(0);
      for (const v of fv) fc2[binOf(h, v)]++;
      for (const v of qv) qc[binOf(h, v)]++;
      expect(sum(h.float)).toBe(fv.length);
      // float values may sit on a bin edge, where the two formulas can round apart
      expect(sum(fc2.map((c, i) => Math.abs(c - h.float[i])))).toBeLessThanOrEqual(4);
      expect(h.dequantized).toEqual(qc);
      let sig = 0;
      let noise = 0;
      fv.forEach((v, i) => {
        sig += v * v;
        noise += (v - qv[i]) ** 2;
      });
      expect(h.sqnrDb).toBeCloseTo(10 * Math.log10(sig / noise), 6);
      expect(h.sqnrDb).toBeCloseTo(l.sqnrDb, 6);
    }
  });

  it('weight histograms count the float and dequantized per-channel int8 weights', () => {
    for (const l of res.plots!.layers) {
      for (const h of l.histograms.filter((k) => k.kind === 'weight')) {
        const g = res.model.graph;
        const wq = g.initializers.get(`${h.tensor}_quantized`)!;
        const scales = g.initializers.get(`${h.tensor}_scale`)!.data as Float32Array;
        expect(h.axis).toBe(0);
        expect(h.scales).toEqual(Array.from(scales));
        const per = wq.data.length / scales.length;
        const qc = new Array<number>(h.bins.count).fill(0);
        for (let i = 0; i < wq.data.length; i++)
          qc[binOf(h, f32(Number(wq.data[i]) * scales[Math.floor(i / per)]))]++;
        expect(h.dequantized).toEqual(qc);
        expect(sum(h.float)).toBe(wq.data.length);
        const top = Math.max(...scales) * 127;
        expect(h.clip[0]).toBeCloseTo(-top, 12);
        expect(h.clip[1]).toBeCloseTo(top, 12);
      }
    }
  });

  it('writes index.html and well-formed SVGs that name the layer, its parameters and the clip range', () => {
    const set = res.plots!;
    const dir = mkdtempSync(join(tmpdir(), 'npuq-plots-'));
    const paths = writePlots(join(dir, 'sub'), set);
    expect(paths).toHaveLength(set.files.length);
    const index = readFileSync(join(dir, 'sub', 'index.html'), 'utf8');
    expectWellFormed(index);
    for (const l of set.layers) {
      expect(index).toContain(l.node);
      for (const h of l.histograms) {
        expect(index).toContain(`src="${h.file}"`);
        const svg = readFileSync(join(dir, 'sub', h.file), 'utf8');
        expectWellFormed(svg);
        expect(svg).toContain(l.node);
        expect(svg).toContain(`zero point ${h.zeroPoint}`);
        expect(svg).toContain('>clip range</text>');
      }
    }
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => writePlots(file, set)).toThrow(NpuError);
  });

  it('is deterministic: buildPlots again from the same inputs gives the same bytes', () => {
    const again = buildPlots(
      {
        floatModel: prepareForQuantization(model).model,
        qdqModel: res.model,
        sensitivity: res.report.sensitivity!,
        activations: res.report.activations,
        calib,
      },
      { layers: 3, batchSize: 7 },
    );
    expect(again.files).toEqual(res.plots!.files);
  });
});
