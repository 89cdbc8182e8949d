// Timing-model validation on ResNet-50: per-layer roofline bounds, SCALE-Sim-style array formulas, MLPerf v2.0 figures.
// `npx tsx scripts/validate-timing.ts [--resolution 224] [--doc]` (--doc: rewrite the generated block of docs/hardware-model.md).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { quantizedZooModel } from '../bench/zoo/quantized.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { reportError } from '../common/cli.js';
import { compile, PIPELINE, runPasses } from '../compiler/pipeline.js';
import { loadHwConfig, macsPerCycle, type HwConfig } from '../isa/hw-config.js';
import { attrInt, attrInts, type Model } from '../onnx/graph.js';
import { NpuSession } from '../runtime/session.js';
import { simulate } from '../simulator/simulate.js';
import type { Tensor } from '../common/tensor.js';
import type { SimStats } from '../simulator/simulate.js';
import { dramBusCyclesOf, layersOf, type LayerRow } from '../simulator/sweep/layers.js';
import { metricsOf, randomInput, type PointMetrics } from '../simulator/sweep/point.js';
import { convCycles, dramBytesPerCycle } from '../simulator/timing.js';

const DOC = join(import.meta.dirname, '..', 'docs', 'hardware-model.md');
const BEGIN =
  '<!-- BEGIN GENERATED: timing validation (npx tsx scripts/validate-timing.ts --doc) -->';
const END = '<!-- END GENERATED: timing validation -->';

/** MLPerf Inference v2.0, closed edge, FuriosaAI Warboy (docs: /work/shared/reference/furiosa-warboy.md 2.1). */
const MLPERF = {
  singleStreamP90Ms: 0.712,
  offlineIps: 2758.44,
  utilSingle: 0.18,
  utilOffline: 0.34,
};

interface ConvShape {
  k: number;
  c: number;
  groups: number;
  kh: number;
  kw: number;
  stride: number;
  outH: number;
  outW: number;
}

interface Run {
  hw: HwConfig;
  stats: SimStats;
  metrics: PointMetrics;
  layers: LayerRow[];
  compileMs: number;
  simMs: number;
}

function runOn(model: Model, hwName: string): Run {
  const hw = loadHwConfig(hwName);
  let t0 = performance.now();
  const c = compile(model, { hw, requant: hw.requant, cpuFallback: false, fixedDims: {} });
  const compileMs = performance.now() - t0;
  const session = new NpuSession(c.program!, { hw });
  const input = session.inputs[0];
  t0 = performance.now();
  const r = session.run({ [input.name]: randomInput(input, 'validate-timing') }, { trace: true });
  const simMs = performance.now() - t0;
  process.stderr.write(
    `  ${hwName}: compile ${(compileMs / 1000).toFixed(1)} s, simulate ${(simMs / 1000).toFixed(1)} s\n`,
  );
  return {
    hw,
    stats: r.stats,
    metrics: metricsOf(hw, r.stats, dramBusCyclesOf(r.trace!.records, hw)),
    layers: layersOf(r.trace!.records, hw),
    compileMs,
    simMs,
  };
}

/** Split mode simulated: two inferences side by side on two one-PE machines sharing the DRAM interface. */
function runSplit(model: Model): { ips: number; latencyUs: number } {
  const hw = loadHwConfig('warboy');
  const c = compile(model, { hw, requant: hw.requant, cpuFallback: false, fixedDims: {} });
  const input = c.program!.inputs[0];
  const one = randomInput(input, 'validate-timing');
  const data = new Float32Array(2 * one.data.length); // the same image twice (a float32 program input)
  data.set(one.data as Float32Array);
  data.set(one.data as Float32Array, one.data.length);
  const x: Tensor = {
    dtype: 'float32',
    shape: [2 * input.shape[0], ...input.shape.slice(1)],
    data,
  };
  const t0 = performance.now();
  const r = simulate(c.program!, { [input.name]: x }, { hw, pes: 2 });
  process.stderr.write(
    `  2 x warboy (split): simulate ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return { ips: r.stats.split!.inferencesPerSecond, latencyUs: r.stats.split!.meanLatencyUs };
}

/** Conv geometry of every QLinearConv node after QDQ lowering and shape inference (trace nodes use these names). */
function convShapes(model: Model, hw: HwConfig): Map<string, ConvShape> {
  const st = runPasses(
    model,
    { hw, requant: hw.requant, cpuFallback: false, fixedDims: {} },
    PIPELINE.slice(0, 4),
  );
  const out = new Map<string, ConvShape>();
  for (const n of st.model.graph.nodes) {
    if (n.opType !== 'QLinearConv') continue;
    const w = st.model.graph.initializers.get(n.inputs[3])?.shape;
    const y = st.shapes?.get(n.outputs[0])?.shape;
    if (w === undefined || y === undefined) continue;
    const groups = attrInt(n, 'group', 1);
    out.set(n.name, {
      k: w[0],
      c: w[1] * groups,
      groups,
      kh: w[2],
      kw: w[3],
      stride: attrInts(n, 'strides', [1, 1])[0],
      outH: Number(y[2]),
      outW: Number(y[3]),
    });
  }
  return out;
}

const shapeStr = (s: ConvShape): string =>
  `${s.kh}x${s.kw}${s.stride > 1 ? `/${s.stride}` : ''} ${s.c}→${s.k}${s.groups > 1 ? ` g${s.groups}` : ''} @${s.outH}x${s.outW}`;

/**
 * SCALE-Sim's analytical runtime of a weight-stationary array of R rows x C columns (Samajdar et al., ISPASS 2020):
 * each fold maps R reduction elements x C filters and streams T output pixels: 2R + C + T - 2 cycles (fill, stream,
 * drain). Here the array is one slice's mac.width x mac.height and T the pixels each slice computes.
 */
function scaleSimWs(hw: HwConfig, s: ConvShape): number {
  const R = hw.mac.width;
  const C = hw.mac.height;
  const T = Math.ceil((s.outH * s.outW) / hw.slices);
  const cg = s.c / s.groups;
  const folds = s.groups * Math.ceil((cg * s.kh * s.kw) / R) * Math.ceil(s.k / s.groups / C);
  return folds * (2 * R + C + T - 2);
}

/**
 * The same array with the next fold's weights loaded while the current fold streams (double-buffered weights): a
 * fold takes max(T, R) cycles (R cycles to shift in R rows of weights), plus one fill and drain.
 */
function scaleSimWsOverlapped(hw: HwConfig, s: ConvShape): number {
  const R = hw.mac.width;
  const C = hw.mac.height;
  const T = Math.ceil((s.outH * s.outW) / hw.slices);
  const cg = s.c / s.groups;
  const folds = s.groups * Math.ceil((cg * s.kh * s.kw) / R) * Math.ceil(s.k / s.groups / C);
  return folds * Math.max(T, R) + 2 * R + C - 2;
}

/** Our own formula (docs '### MAC array') applied to the whole layer, as if it were one untiled instruction. */
const untiled = (hw: HwConfig, s: ConvShape): number =>
  convCycles(hw, {
    pixels: s.outH * s.outW,
    groups: s.groups,
    cg: s.c / s.groups,
    kg: s.k / s.groups,
    taps: s.kh * s.kw,
  });

const f = (v: number, d = 0): string =>
  v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

interface LayerCheck {
  row: LayerRow;
  shape: ConvShape | undefined;
  computeBound: number;
  memoryBound: number;
  bound: number;
  span: number;
}

function layerChecks(run: Run, shapes: Map<string, ConvShape>): LayerCheck[] {
  const peak = macsPerCycle(run.hw);
  const bpc = dramBytesPerCycle(run.hw);
  return run.layers.map((row) => {
    const computeBound = Math.ceil(row.macs / peak);
    const memoryBound = Math.ceil(row.dramBytes / bpc);
    return {
      row,
      shape: shapes.get(row.node),
      computeBound,
      memoryBound,
      bound: Math.max(computeBound, memoryBound, 1),
      span: row.end - row.start,
    };
  });
}

/** Share of the summed layer spans per op kind (the lowered op type in the node name, e.g. QLinearConv). */
function byKind(checks: readonly LayerCheck[], total: number): string {
  const kinds = new Map<string, number>();
  for (const c of checks) {
    const kind = c.row.node.split('__')[1] ?? c.row.node.replace(/_\d+$/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + c.span);
  }
  return [...kinds]
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${pct(v / total)}`)
    .join(', ');
}

function rooflineSection(run: Run, checks: LayerCheck[]): string[] {
  const below = checks.filter((c) => c.span < c.bound);
  const ratios = checks.map((c) => c.span / c.bound).sort((a, b) => a - b);
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  const macLayers = checks.filter((c) => c.row.macs > 0);
  const sumSpan = checks.reduce((a, c) => a + c.span, 0);
  const sumBound = checks.reduce((a, c) => a + c.bound, 0);
  const computeBoundSum = macLayers.reduce((a, c) => a + c.computeBound, 0);
  const macBusy = macLayers.reduce((a, c) => a + c.row.macCycles, 0);
  const memLayers = checks.filter((c) => c.memoryBound >= c.computeBound).length;
  const lines = [
    `Per-layer check on ${run.hw.name} (${checks.length} layers = ONNX nodes with instructions; ${macLayers.length} with MACs). ` +
      `Bound = max(MACs / ${f(macsPerCycle(run.hw))} MACs per cycle, DRAM payload bytes / ${dramBytesPerCycle(run.hw).toFixed(1)} B per cycle); ` +
      `span = first start to last end of the layer's instructions.`,
    '',
    `- Layers below their bound: **${below.length}**${below.length > 0 ? ` (${below.map((c) => c.row.node).join(', ')})` : ''}.`,
    `- span / bound: min ${ratios[0].toFixed(2)}, median ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}, geometric mean ${geo.toFixed(2)}, max ${ratios.at(-1)!.toFixed(2)}; ` +
      `${memLayers} of ${checks.length} layers have a memory bound at least their compute bound.`,
    `- Sum of spans ${f(sumSpan)} cycles (total run ${f(run.stats.cycles)}), sum of bounds ${f(sumBound)}: the run is ${(run.stats.cycles / sumBound).toFixed(2)}x the sum of the layer bounds.`,
    `- DRAM bus: the layers' transfers hold the bus ${f(checks.reduce((a, c) => a + c.row.dramBusCycles, 0))} cycles (whole bursts per contiguous run) for a payload bound of ` +
      `${f(checks.reduce((a, c) => a + c.memoryBound, 0))}: burst rounding costs ${(checks.reduce((a, c) => a + c.row.dramBusCycles, 0) / checks.reduce((a, c) => a + c.memoryBound, 0)).toFixed(2)}x; ` +
      `span / max(compute bound, bus cycles): median ${median(checks.map((c) => c.span / Math.max(c.computeBound, c.row.dramBusCycles, 1))).toFixed(2)}, max ${Math.max(...checks.map((c) => c.span / Math.max(c.computeBound, c.row.dramBusCycles, 1))).toFixed(2)}.`,
    `- Time by layer kind: ${byKind(checks, sumSpan)}.`,
    `- MAC engine: busy ${f(macBusy)} cycles for a compute bound of ${f(computeBoundSum)} (array efficiency ${pct(computeBoundSum / macBusy)} while busy); ` +
      `DMA engines busy ${f(checks.reduce((a, c) => a + c.row.dmaCycles, 0))} cycles in all, vector ${f(checks.reduce((a, c) => a + c.row.vectorCycles, 0))}.`,
    '',
    '| # | layer | shape | MACs (M) | DRAM KB | compute bound | memory bound | span | span / bound | DRAM bus (bursts) | span / max(compute, bus) | MAC busy | array eff. |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...checks.map((c, k) => {
      const eff = c.row.macCycles > 0 ? pct(c.computeBound / c.row.macCycles) : '';
      const busBound = Math.max(c.computeBound, c.row.dramBusCycles, 1);
      return `| ${k} | ${c.row.node} | ${c.shape === undefined ? '' : shapeStr(c.shape)} | ${(c.row.macs / 1e6).toFixed(1)} | ${(c.row.dramBytes / 1024).toFixed(0)} | ${f(c.computeBound)} | ${f(c.memoryBound)} | ${f(c.span)} | ${(c.span / c.bound).toFixed(2)} | ${f(c.row.dramBusCycles)} | ${(c.span / busBound).toFixed(2)} | ${f(c.row.macCycles)} | ${eff} |`;
    }),
  ];
  return lines;
}

function scaleSimSection(run: Run, checks: LayerCheck[]): string[] {
  // one layer per distinct shape, the first of each (ResNet-50 repeats its block shapes)
  const seen = new Set<string>();
  const picked = checks.filter((c) => {
    if (c.shape === undefined) return false;
    const key = shapeStr(c.shape);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const hw = run.hw;
  return [
    `MAC-array cycles of each distinct conv shape of ResNet-50 on ${hw.name} (${hw.slices} slices of ${hw.mac.width} x ${hw.mac.height}; T = output pixels per slice = ceil(outH x outW / ${hw.slices})). ` +
      '"formula" is our timing formula for the whole layer as one instruction; "SCALE-Sim WS" is the weight-stationary systolic runtime ' +
      'folds x (2R + C + T - 2) with R = mac.width, C = mac.height and folds = ceil(Cg x kH x kW / R) x ceil(K / C) (im2col packing of the taps, fill and drain per fold); ' +
      '"WS, weights overlapped" loads the next fold\'s weights while the current one streams: folds x max(T, R) + 2R + C - 2; ' +
      '"simulated" is the MAC engine busy time of the layer\'s tiled conv instructions.',
    '',
    '| layer | shape | T | ideal (MACs / peak) | formula | SCALE-Sim WS | WS, weights overlapped | simulated | simulated / formula | WS overlapped / simulated |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...picked.map((c) => {
      const s = c.shape!;
      const formula = untiled(hw, s);
      const ss = scaleSimWs(hw, s);
      const ov = scaleSimWsOverlapped(hw, s);
      return `| ${c.row.node} | ${shapeStr(s)} | ${Math.ceil((s.outH * s.outW) / hw.slices)} | ${f(c.computeBound)} | ${f(formula)} | ${f(ss)} | ${f(ov)} | ${f(c.row.macCycles)} | ${(c.row.macCycles / formula).toFixed(2)} | ${(ov / c.row.macCycles).toFixed(2)} |`;
    }),
    '',
    `Totals over all ${checks.filter((c) => c.shape !== undefined).length} convs: formula ${f(checks.reduce((a, c) => a + (c.shape ? untiled(hw, c.shape) : 0), 0))}, ` +
      `SCALE-Sim WS ${f(checks.reduce((a, c) => a + (c.shape ? scaleSimWs(hw, c.shape) : 0), 0))}, ` +
      `WS with weights overlapped ${f(checks.reduce((a, c) => a + (c.shape ? scaleSimWsOverlapped(hw, c.shape) : 0), 0))}, simulated ${f(checks.reduce((a, c) => a + (c.shape ? c.row.macCycles : 0), 0))} cycles.`,
  ];
}

function mlperfSection(
  fused: Run,
  onePe: Run,
  simulatedSplit: { ips: number; latencyUs: number },
  gmacs: number,
  resolution: number,
): string[] {
  const peakMacsPerS = macsPerCycle(fused.hw) * fused.hw.clockMhz * 1e6; // the chip's 16,384 MACs
  const lat = fused.metrics.latencyUs / 1000;
  const split = simulatedSplit.ips;
  const estimate = onePe.metrics.splitThroughputIps ?? 0;
  const utilOf = (ips: number): number => (ips * gmacs * 1e9) / peakMacsPerS;
  return [
    `Model: resnet50Like at ${resolution}x${resolution} (bench/zoo, random weights, ${gmacs.toFixed(2)} GMACs; MLPerf's ResNet-50 v1.5 is ~4.1 GMACs). ` +
      `Simulated with seeded random input; utilisation = MACs per second / the chip's ${f(peakMacsPerS / 1e12, 2)} T MACs per second.`,
    '',
    '| metric | simulated | Warboy, MLPerf v2.0 | simulated / published |',
    '| --- | ---: | ---: | ---: |',
    `| single-stream latency, warboy-2pe (fused) | ${lat.toFixed(3)} ms | ${MLPERF.singleStreamP90Ms} ms (p90) | ${(lat / MLPERF.singleStreamP90Ms).toFixed(2)} |`,
    `| latency, warboy (one PE) | ${(onePe.metrics.latencyUs / 1000).toFixed(3)} ms | | |`,
    `| throughput, fused back to back (1 / latency) | ${f(fused.metrics.throughputIps)} /s | | |`,
    `| offline throughput, split: 2 x one PE sharing DRAM, simulated (\`pes: 2\`) | ${f(split)} /s | ${f(MLPERF.offlineIps)} /s | ${(split / MLPERF.offlineIps).toFixed(2)} |`,
    `| latency of one inference in split mode | ${(simulatedSplit.latencyUs / 1000).toFixed(3)} ms | | |`,
    `| offline throughput, split, sweep estimate (2 x one PE, capped by bus time) | ${f(estimate)} /s | | |`,
    `| MAC utilisation, single stream (fused) | ${pct(utilOf(fused.metrics.throughputIps))} | ${pct(MLPERF.utilSingle)} | |`,
    `| MAC utilisation, offline (split) | ${pct(utilOf(split))} | ${pct(MLPERF.utilOffline)} | |`,
    `| DRAM traffic per inference, fused | ${(fused.metrics.dramBytes / 1e6).toFixed(1)} MB | | |`,
    `| energy per inference, fused (model of '## Energy') | ${(fused.metrics.energyUj / 1000).toFixed(2)} mJ | | |`,
    `| TOPS/W, fused | ${fused.metrics.topsPerWatt.toFixed(2)} | | |`,
    `| npuc / npusim host time, fused | ${(fused.compileMs / 1000).toFixed(1)} s / ${(fused.simMs / 1000).toFixed(1)} s | | |`,
  ];
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .option('resolution', { type: 'number', default: 224 })
    .option('doc', {
      type: 'boolean',
      default: false,
      describe: 'rewrite the generated block of docs/hardware-model.md',
    })
    .strict()
    .parse();
  process.stderr.write(`quantizing resnet50Like at ${argv.resolution}x${argv.resolution}...\n`);
  const z = await quantizedZooModel('resnet50', {
    preset: 'bench',
    resolution: argv.resolution,
    calibSamples: 1,
  });
  const fused = runOn(z.quantized, 'warboy-2pe');
  const onePe = runOn(z.quantized, 'warboy');
  const simulatedSplit = runSplit(z.quantized);
  const shapes = convShapes(z.quantized, fused.hw);
  const checks = layerChecks(fused, shapes);
  const gmacs = fused.stats.mac.usefulMacs / fused.stats.inferences / 1e9;
  const text = [
    BEGIN,
    '',
    `Generated ${new Date().toISOString().slice(0, 10)} at ${argv.resolution}x${argv.resolution}.`,
    '',
    "### ResNet-50 against Warboy's published results",
    '',
    ...mlperfSection(fused, onePe, simulatedSplit, gmacs, argv.resolution),
    '',
    '### MAC array against SCALE-Sim-style formulas',
    '',
    ...scaleSimSection(fused, checks),
    '',
    '### Every layer against its roofline bound',
    '',
    ...rooflineSection(fused, checks),
    '',
    END,
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (argv.doc) {
    const doc = readFileSync(DOC, 'utf8');
    const [a, b] = [doc.indexOf(BEGIN), doc.indexOf(END)];
    const next =
      a < 0 || b < a
        ? `${doc.replace(/\n*$/, '\n\n')}${text}\n`
        : doc.slice(0, a) + text + doc.slice(b + END.length);
    const options = (await prettier.resolveConfig(DOC)) ?? {};
    writeFileAtomic(DOC, await prettier.format(next, { ...options, parser: 'markdown' }));
    process.stderr.write(`recorded in ${DOC}\n`);
  }
  const below = checks.filter((c) => c.span < c.bound).length;
  return below === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => (process.exitCode = reportError(e, process.argv.includes('--verbose'))),
);
