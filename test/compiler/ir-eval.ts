// Test helper: evaluates a compiled NpuGraph with the ISA's arithmetic (docs/isa.md), op by op, on integer tensors.

import type { Tensor } from '../../common/tensor.js';
import { zeros } from '../../common/tensor.js';
import type { Epilogue, NpuGraph, Q8 } from '../../compiler/ir.js';
import { multiplyByQuantizedMultiplier } from '../../reference/quant/gemmlowp.js';
import { Q_RANGE, requantFloat, saturate } from '../../reference/quant/requant.js';
import { rhe } from '../../reference/quant/rounding.js';

const f32 = Math.fround;

function epilogue(e: Epilogue, acc: number, c: number): number {
  let a = acc;
  if (e.bias !== undefined) a = (a + e.bias[c]) | 0;
  const r =
    e.requant.mode === 'float'
      ? requantFloat(a, e.requant.multiplier[c])
      : multiplyByQuantizedMultiplier(a, e.requant.multiplier[c], e.requant.shift[c]);
  const [lo, hi] = Q_RANGE[e.out.dtype];
  const q = saturate(r + e.out.zp, lo, hi);
  const act = e.activation;
  if (act.act === 'relu') return Math.max(q, e.out.zp);
  if (act.act === 'clip') return Math.min(Math.max(q, act.lo), act.hi);
  if (act.act === 'lut') return act.table[q - lo];
  return q;
}

/** Runs every op; `inputs` by program tensor name; returns all tensors. Host ops are not supported. */
export function evalGraph(
  g: NpuGraph,
  inputs: Record<string, Tensor>,
  mode: 'float' | 'fixed',
): Map<string, Tensor> {
  const v = new Map<string, Tensor>(Object.entries(inputs));
  const get = (n: string): Tensor =>
    v.get(n) ??
    (() => {
      throw new Error(`no value ${n}`);
    })();
  const zpOf = (n: string): number => g.tensors.get(n)?.quant?.zp ?? 0;
  for (const op of g.ops) {
    const outT = g.tensors.get(op.output)!;
    const out = zeros(outT.dtype, outT.shape);
    const o = out.data as Int8Array;
    const x = get(op.inputs[0]).data as Int8Array;
    const clampOut = (q: number): number => saturate(q, ...Q_RANGE[outT.dtype as Q8]);
    switch (op.kind) {
      case 'conv': {
        const q = op.geom;
        const [cg, kg, xz] = [q.inC / q.groups, q.outC / q.groups, zpOf(op.inputs[0])];
        for (let n = 0; n < q.batch; n++)
          for (let oc = 0; oc < q.outC; oc++)
            for (let oy = 0; oy < q.outH; oy++)
              for (let ox = 0; ox < q.outW; ox++) {
                const gi = Math.floor(oc / kg);
                let acc = 0;
                for (let ic = 0; ic < cg; ic++)
                  for (let ky = 0; ky < q.kH; ky++)
                    for (let kx = 0; kx < q.kW; kx++) {
                      const iy = oy * q.strideH - q.padT + ky * q.dilH;
                      const ix = ox * q.strideW - q.padL + kx * q.dilW;
                      if (iy < 0 || iy >= q.inH || ix < 0 || ix >= q.inW) continue;
                      const xv = x[((n * q.inC + gi * cg + ic) * q.inH + iy) * q.inW + ix];
                      const wv = op.weight[((oc * cg + ic) * q.kH + ky) * q.kW + kx];
                      acc = (acc + (xv - xz) * (wv - op.wZp)) | 0;
                    }
                o[((n * q.outC + oc) * q.outH + oy) * q.outW + ox] = epilogue(op.epilogue, acc, oc);
              }
        break;
      }
      case 'gemm': {
        const az = zpOf(op.inputs[0]);
        for (let i = 0; i < op.m; i++)
          for (let j = 0; j < op.n; j++) {
            let acc = 0;
            for (let t = 0; t < op.k; t++)
              acc = (acc + (x[i * op.k + t] - az) * (op.weightT[j * op.k + t] - op.wZp)) | 0;
            o[i * op.n + j] = epilogue(op.epilogue, acc, j);
          }
        break;
      }
      case 'add':
      case 'mul': {
        const b = get(op.inputs[1]).data as Int8Array;
        const [za, zb, zo] = [zpOf(op.inputs[0]), zpOf(op.inputs[1]), zpOf(op.output)];
        const s = op.scale;
        const fx = op.fixed;
        for (let i = 0; i < o.length; i++) {
          const bi =
            op.bMode === 'elementwise'
              ? i
              : op.bMode === 'scalar'
                ? 0
                : Math.floor(i / op.rowLen) % b.length;
          const [da, db] = [x[i] - za, b[bi] - zb];
          let q: number;
          if (mode === 'float') {
            q =
              op.kind === 'add'
                ? rhe(f32(f32(f32(s.a * da) + f32(s.b * db)) / s.out))
                : rhe(f32(f32(da * db) * f32(f32(s.a * s.b) / s.out)));
          } else if (op.kind === 'add') {
            const x1 = multiplyByQuantizedMultiplier(
              Math.imul(da, 2 ** fx.leftShift),
              fx.multA,
              fx.shiftA,
            );
            const x2 = multiplyByQuantizedMultiplier(
              Math.imul(db, 2 ** fx.leftShift),
              fx.multB,
              fx.shiftB,
            );
            q = multiplyByQuantizedMultiplier((x1 + x2) | 0, fx.multOut, fx.shiftOut);
          } else q = multiplyByQuantizedMultiplier(da * db, fx.multOut, fx.shiftOut);
          o[i] = Math.min(Math.max(clampOut(q + zo), op.clip.lo), op.clip.hi);
        }
        break;
      }
      case 'pool': {
        const q = op.geom;
        if (op.pool !== 'gavg') throw new Error('evalGraph: only global average pools');
        const [zx, zo] = [zpOf(op.inputs[0]), zpOf(op.output)];
        const count = q.inH * q.inW;
        for (let c = 0; c < q.batch * q.inC; c++) {
          let sum = 0;
          for (let k = 0; k < count; k++) sum = (sum + x[c * count + k] - zx) | 0;
          const r =
            mode === 'float'
              ? rhe(f32(f32(sum) * f32(op.scale.a / f32(op.scale.out * count))))
              : multiplyByQuantizedMultiplier(sum, op.fixed.multOut, op.fixed.shiftOut);
          o[c] = clampOut(r + zo);
        }
        break;
      }
      case 'lut': {
        const lo = Q_RANGE[g.tensors.get(op.inputs[0])!.dtype as Q8][0];
        for (let i = 0; i < o.length; i++) o[i] = op.table[x[i] - lo];
        break;
      }
      case 'clamp':
        for (let i = 0; i < o.length; i++) o[i] = Math.min(Math.max(x[i], op.lo), op.hi);
        break;
      case 'move':
        if (!op.view) throw new Error('evalGraph: only views');
        o.set(x);
        break;
      case 'pad':
      case 'resize':
      case 'ibert':
      case 'matmul':
      case 'host':
        throw new Error(`evalGraph: ${op.kind} not supported`);
    }
    v.set(op.output, out);
  }
  return v;
}
