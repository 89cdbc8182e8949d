// npm run accuracy: the table format, and two methods' numbers recomputed independently (quantizeModel, the
// reference, onnxruntime, a plain count of correct answers); the generated part of docs/accuracy.md is current.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { runModel } from '../../reference/interpreter.js';
import { quantizeModel } from '../../quantizer/quantize-model.js';
import {
  BEGIN,
  END,
  digitsInput,
  formatAccuracy,
  measureAccuracy,
  replaceGenerated,
  type AccuracyInput,
  type AccuracyResult,
  type MethodSpec,
} from '../../scripts/accuracy.js';
import { ORT_OPTIONS, ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';

const METHODS: MethodSpec[] = [
  { name: 'MIN_MAX_ASYM', method: 'minmax', symmetric: false },
  { name: 'SQNR_SYM', method: 'sqnr', symmetric: true },
];
const ORT_FUSED = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };

/** Correct answers counted by hand: the first largest logit of each row against the label. */
function correct(logits: Tensor, labels: readonly number[]): number {
  const k = logits.shape[1];
  let n = 0;
  labels.forEach((label, r) => {
    let best = 0;
    for (let j = 1; j < k; j++)
      if (Number(logits.data[r * k + j]) > Number(logits.data[r * k + best])) best = j;
    if (best === label) n++;
  });
  return n;
}

/** Cells of the markdown table rows whose first cell is `first`. */
const rowOf = (md: string, first: string): string[] | undefined =>
  md
    .split('\n')
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    .find((cells) => cells[0] === first);

describe('npm run accuracy (scripts/accuracy.ts)', () => {
  let input: AccuracyInput;
  let result: AccuracyResult;
  let md: string;

  beforeAll(async () => {
    input = digitsInput();
    result = await measureAccuracy(input, METHODS);
    md = formatAccuracy(result);
  });

  it('prints the incumbent-style summary and one row per method, with 3-decimal percentages', () => {
    const lines = md.split('\n');
    expect(lines).toContain('| Model | FP | INT8 (method) | ratio |');
    expect(lines).toContain(
      '| CalibrationMethod | method | INT8 top-1, reference | INT8 top-1, onnxruntime | ratio INT8/FP | logits equal, reference vs onnxruntime |',
    );
    const summary = rowOf(md, 'digits-cnn')!;
    expect(summary[1]).toMatch(/^\d{1,3}\.\d{3}%$/);
    expect(summary[2]).toMatch(/^\d{1,3}\.\d{3}% \((Asym|Sym) (MinMax|SQNR)\)$/);
    expect(summary[3]).toMatch(/^\d{1,3}\.\d{3}%$/);
    const rows = lines.filter(
      (l) => /^\| [A-Z_]+ \|/.test(l) && !l.startsWith('| CalibrationMethod'),
    );
    expect(rows).toHaveLength(METHODS.length);
    for (const r of rows) {
      const c = r
        .split('|')
        .slice(1, -1)
        .map((s) => s.trim());
      expect(c[2]).toMatch(/^\d{1,3}\.\d{3}% \(\d+\/397\)$/);
      expect(c[3]).toMatch(/^\d{1,3}\.\d{3}% \(\d+\/397\)$/);
      expect(c[4]).toMatch(/^\d{1,3}\.\d{3}%$/);
      expect(c[5]).toMatch(/^\d+\/3970$/);
    }
  });

  it('every number matches an independent computation', async () => {
    const floatCorrect = correct(
      (await runOrt(input.model, { input: input.x }, ORT_OPTIONS)).logits,
      input.labels,
    );
    const n = input.labels.length;
    const pct = (c: number): string => `${((100 * c) / n).toFixed(3)}%`;
    expect(md).toContain(
      `Per method (FP top-1 ${pct(floatCorrect)}, ${floatCorrect}/${n}, onnxruntime)`,
    );
    const best = { correct: -1, label: '' };
    for (const m of METHODS) {
      // a fresh calibration through the public API, not the script's shared statistics
      const { model: q } = await quantizeModel(input.model, input.calib, {
        method: m.method,
        symmetric: m.symmetric,
      });
      const ref = runModel(q, { input: input.x }, { mode: 'float' }).logits;
      const ort = (await runOrt(q, { input: input.x }, ORT_FUSED)).logits;
      let equal = 0;
      for (let i = 0; i < ref.data.length; i++) if (ref.data[i] === ort.data[i]) equal++;
      const cr = correct(ref, input.labels);
      const co = correct(ort, input.labels);
      const row = rowOf(md, m.name)!;
      expect(row[2]).toBe(`${pct(cr)} (${cr}/${n})`);
      expect(row[3]).toBe(`${pct(co)} (${co}/${n})`);
      expect(row[4]).toBe(`${((100 * cr) / floatCorrect).toFixed(3)}%`);
      expect(row[5]).toBe(`${equal}/${ref.data.length}`);
      if (cr > best.correct) Object.assign(best, { correct: cr, label: row[1] });
    }
    expect(rowOf(md, 'digits-cnn')).toEqual([
      'digits-cnn',
      pct(floatCorrect),
      `${pct(best.correct)} (${best.label})`,
      `${((100 * best.correct) / floatCorrect).toFixed(3)}%`,
    ]);
  });

  it('docs/accuracy.md holds the generated tables between its markers, current for these two methods', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'accuracy.md'), 'utf8');
    const generated = doc.slice(doc.indexOf(BEGIN), doc.indexOf(END));
    expect(doc.indexOf(BEGIN)).toBeGreaterThan(200); // a hand-written introduction comes first
    for (const m of METHODS) expect(rowOf(generated, m.name)).toEqual(rowOf(md, m.name));
    expect(
      generated
        .split('\n')
        .filter((l) => /^\| [A-Z_]+ +\|/.test(l) && !l.includes('CalibrationMethod')),
    ).toHaveLength(10);
  });

  it('replaceGenerated keeps the text around the markers and refuses a document without them', () => {
    const doc = `intro\n${BEGIN}\nold\n${END}\noutro\n`;
    expect(replaceGenerated(doc, 'new')).toBe(`intro\n${BEGIN}\n\nnew\n\n${END}\noutro\n`);
    expect(() => replaceGenerated('no markers', 'new')).toThrow(NpuError);
  });
});
