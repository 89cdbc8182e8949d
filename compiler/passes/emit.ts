// Codegen, first step (not in PIPELINE yet): a compiled graph that is one conv → a prog.bin Program, tile by tile.

import { encode } from '../../isa/codec.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { Instruction, Mnemonic } from '../../isa/instructions.js';
import {
  programFor,
  type IoDescriptor,
  type IoDType,
  type Program,
} from '../../isa/program-file.js';
import { BY_MNEMONIC } from '../../isa/table.js';
import type { ConvOp, IoBinding, NpuGraph } from '../ir.js';
import type { CompileResult } from '../state.js';
import type { OpTiling, RegionName } from '../tiling/tile-types.js';
import { alignUp, SRAM_ALIGN } from '../tiling/tile-types.js';

// Semaphores of the double-buffered schedule: [buffer 0, buffer 1] each.
const SEM = {
  inFull: [0, 1],
  inFree: [2, 3],
  outFull: [4, 5],
  outFree: [6, 7],
  constFull: [8, 9],
  constFree: [10, 11],
} as const;
const bit = (k: number): number => 1 << k;

/** An instruction with every field of the table set: the given ones, zero (or the first enum value) otherwise. */
function ins(op: Mnemonic, fields: Record<string, number | string>): Instruction {
  const spec = BY_MNEMONIC.get(op)!;
  const out: Record<string, number | string> = { op };
  for (const f of spec.layout)
    out[f.name] = fields[f.name] ?? (f.kind === 'enum' ? f.values![0] : 0);
  return out as unknown as Instruction;
}

/** SRAM address of copy `b` of a region. */
function regionAddr(t: OpTiling, name: RegionName, b = 0): number {
  const r = t.regions.find((x) => x.name === name);
  if (r === undefined) throw new Error(`emit: no SRAM region '${name}'`);
  return r.offset + (b % r.buffers) * alignUp(r.bytes, SRAM_ALIGN);
}

/** The requantization table as the mac.quant epilogue reads it (float32, or int32 multiplier + int32 shift). */
function requantBytes(op: ConvOp): Uint8Array {
  const rq = op.epilogue.requant;
  if (rq.mode === 'float') return new Uint8Array(Float32Array.from(rq.multiplier).buffer);
  const words = new Int32Array(2 * rq.multiplier.length);
  rq.multiplier.forEach((m, c) => {
    words[2 * c] = m;
    words[2 * c + 1] = rq.shift[c];
  });
  return new Uint8Array(words.buffer);
}

function ioDescriptor(g: NpuGraph, b: IoBinding, dramAddr: number): IoDescriptor {
  const t = g.tensors.get(b.tensor)!;
  return {
    name: b.onnxName,
    shape: [...t.shape],
    dtype: t.dtype as IoDType,
    scale: b.quant?.scale ?? t.quant?.scale ?? 1,
    zeroPoint: b.quant?.zp ?? t.quant?.zp ?? 0,
    dramAddr,
    layout: 'NCHW',
  };
}

/**
 * The program of a graph that is a single conv op (with its epilogue), following isa/example.ts: per tile, a padded
 * input load (the DMA writes the halo and border padding with the zero point), the block's constants when the
 * channel block changes, mac.shape / mac.quant, conv, and a store on the second DMA channel. Input, output and
 * constant buffers are double-buffered with semaphores. `hw.requant` must be the mode the graph was compiled for.
 */
export function emitSingleConv(r: CompileResult, hw: HwConfig): Program {
  const ops = r.graph.ops;
  if (ops.length !== 1 || ops[0].kind !== 'conv')
    throw new Error('emitSingleConv: the graph must be one conv');
  const op = ops[0];
  if (op.epilogue.requant.mode !== hw.requant)
    throw new Error('emitSingleConv: hw.requant differs from the graph');
  const t = r.tiling.get(op.id)!;
  const q = op.geom;
  const x = r.graph.tensors.get(op.inputs[0])!;
  const addrOf = (name: string): number => r.memory.tensors.find((p) => p.tensor === name)!.offset;
  const constAddr = (what: string): number =>
    r.memory.constants.find((c) => c.op === op.id && c.what === what)!.offset;

  const image = new Uint8Array(r.memory.constBytes);
  image.set(
    new Uint8Array(op.weight.buffer, op.weight.byteOffset, op.weight.byteLength),
    constAddr('weights'),
  );
  if (op.epilogue.bias !== undefined)
    image.set(new Uint8Array(op.epilogue.bias.buffer), constAddr('bias'));
  image.set(requantBytes(op), constAddr('requant'));
  const act = op.epilogue.activation;
  if (act.act === 'lut') image.set(new Uint8Array(act.table.buffer), constAddr('lut'));

  const cg = q.inC / q.groups;
  const wPerOc = cg * q.kH * q.kW;
  const rqPerOc = op.epilogue.requant.mode === 'float' ? 4 : 8;
  const paddedW = q.inW + q.padL + q.padR;
  const maxVirt = (t.tileShape.rows - 1) * q.strideH + q.dilH * (q.kH - 1) + 1;
  const inCStride = maxVirt * paddedW;
  const outCStride = t.tileShape.rows * q.outW;
  const [inBase, outBase] = [addrOf(op.inputs[0]), addrOf(op.output)];
  const code: Instruction[] = [];
  const zpByte = (v: number): number => v & 0xff;
  const load = (dramAddr: number, sramAddr: number, bytes: number, signal = 0): Instruction => {
    if (bytes > 0xffff)
      throw new Error('emitSingleConv: a constant block over 64 KiB is not supported yet');
    return ins('dma.load', {
      channel: 0,
      dramAddr,
      sramAddr,
      size0: bytes,
      size1: 1,
      size2: 1,
      size3: 1,
      signal,
    });
  };

  code.push(
    ins('dma.cfg', {
      channel: 0,
      dramStride1: q.inW,
      dramStride2: q.inH * q.inW,
      sramStride1: paddedW,
      sramStride2: inCStride,
    }),
  );
  code.push(ins('dma.cfg', { channel: 1, dramStride1: q.outH * q.outW, sramStride1: outCStride }));
  if (act.act === 'lut') code.push(load(constAddr('lut'), regionAddr(t, 'lut'), 256));

  // channel blocks in tile order (tiles go image, channel block, row block)
  const blockIds: number[] = [];
  t.tiles.forEach((tile, i) => {
    const prev = t.tiles[i - 1];
    const same = prev !== undefined && prev.n === tile.n && prev.c.start === tile.c.start;
    blockIds.push(i === 0 ? 0 : blockIds[i - 1] + (same ? 0 : 1));
  });
  const nBlocks = blockIds.at(-1)! + 1;
  const nTiles = t.tiles.length;
  t.tiles.forEach((tile, i) => {
    const [b, k] = [i % 2, blockIds[i]];
    const kb = k % 2;
    const firstOfBlock = i === 0 || blockIds[i - 1] !== k;
    const lastOfBlock = i === nTiles - 1 || blockIds[i + 1] !== k;
    const [oc0, oc] = [tile.c.start, tile.c.end - tile.c.start];
    if (firstOfBlock) {
      const wait = k >= 2 ? bit(SEM.constFree[kb]) : 0;
      const loads = [
        load(constAddr('weights') + oc0 * wPerOc, regionAddr(t, 'weights', kb), oc * wPerOc),
        ...(op.epilogue.bias !== undefined
          ? [load(constAddr('bias') + oc0 * 4, regionAddr(t, 'bias', kb), oc * 4)]
          : []),
        load(constAddr('requant') + oc0 * rqPerOc, regionAddr(t, 'requant', kb), oc * rqPerOc),
      ];
      // one DMA queue runs in order: waiting on the first and signalling on the last covers the whole block
      loads[0] = { ...loads[0], wait };
      loads[loads.length - 1] = {
        ...loads[loads.length - 1],
        signal: bit(SEM.constFull[kb]),
      };
      code.push(...loads);
    }
    const rows = tile.inRows!;
    const ic = tile.inC!;
    code.push(
      ins('dma.load', {
        channel: 0,
        dramAddr: inBase + ((tile.n * q.inC + ic.start) * q.inH + rows.start) * q.inW,
        sramAddr: regionAddr(t, 'input', b),
        size0: q.inW,
        size1: rows.end - rows.start,
        size2: ic.end - ic.start,
        size3: 1,
        fill: zpByte(x.quant?.zp ?? 0),
        padLo0: q.padL,
        padHi0: q.padR,
        padLo1: tile.padTop!,
        padHi1: tile.padBottom!,
        wait: i >= 2 ? bit(SEM.inFree[b]) : 0,
        signal: bit(SEM.inFull[b]),
      }),
    );
    const virt = tile.padTop! + (rows.end - rows.start) + tile.padBottom!;
    code.push(
      ins('mac.shape', {
        inC: ic.end - ic.start,
        inH: virt,
        inW: paddedW,
        outC: oc,
        kH: q.kH,
        kW: q.kW,
        strideH: q.strideH,
        strideW: q.strideW,
        dilH: q.dilH,
        dilW: q.dilW,
        groups: q.groups > 1 ? (ic.end - ic.start) / cg : 1,
      }),
    );
    const out = op.epilogue.out;
    code.push(
      ins('mac.quant', {
        inType: x.dtype,
        wType: op.wType,
        outType: out.dtype,
        inZp: x.quant?.zp ?? 0,
        wZp: op.wZp,
        outZp: out.zp,
        useBias: op.epilogue.bias !== undefined ? 1 : 0,
        biasAddr: op.epilogue.bias !== undefined ? regionAddr(t, 'bias', kb) : 0,
        requantAddr: regionAddr(t, 'requant', kb),
        act: act.act,
        clipLo: act.act === 'clip' ? act.lo : 0,
        clipHi: act.act === 'clip' ? act.hi : 0,
        lutAddr: act.act === 'lut' ? regionAddr(t, 'lut') : 0,
      }),
    );
    code.push(
      ins('conv', {
        inAddr: regionAddr(t, 'input', b),
        weightAddr: regionAddr(t, 'weights', kb),
        outAddr: regionAddr(t, 'output', b),
        inCStride,
        outCStride,
        wait:
          bit(SEM.inFull[b]) |
          (i >= 2 ? bit(SEM.outFree[b]) : 0) |
          (firstOfBlock ? bit(SEM.constFull[kb]) : 0),
        signal:
          bit(SEM.outFull[b]) |
          (i + 2 < nTiles ? bit(SEM.inFree[b]) : 0) |
          (lastOfBlock && k + 2 < nBlocks ? bit(SEM.constFree[kb]) : 0),
      }),
    );
    const outRows = tile.y.end - tile.y.start;
    code.push(
      ins('dma.store', {
        channel: 1,
        sramAddr: regionAddr(t, 'output', b),
        dramAddr: outBase + ((tile.n * q.outC + oc0) * q.outH + tile.y.start) * q.outW,
        size0: outRows * q.outW,
        size1: oc,
        size2: 1,
        size3: 1,
        wait: bit(SEM.outFull[b]),
        signal: i + 2 < nTiles ? bit(SEM.outFree[b]) : 0,
      }),
    );
  });
  code.push(ins('halt', {}));
  const node = op.nodes.join('+');
  return programFor(hw, {
    code: code.map(encode),
    dram: [{ addr: 0, data: image }],
    inputs: r.graph.inputs.map((b) => ioDescriptor(r.graph, b, addrOf(b.tensor))),
    outputs: r.graph.outputs.map((b) => ioDescriptor(r.graph, b, addrOf(b.tensor))),
    debug: code.map((_, pc) => ({ pc, node })),
  });
}
