// Pass: code generation. Every NPU op becomes a double-buffered tile loop (codegen/schedule.ts); ops run one after
// another, each waiting for the previous op's last store; the constants image and I/O addresses come from the plan.

import { NpuError } from '../../common/diagnostics.js';
import { encode } from '../../isa/codec.js';
import type { HwConfig } from '../../isa/hw-config.js';
import {
  programFor,
  type IoDescriptor,
  type IoDType,
  type Program,
} from '../../isa/program-file.js';
import { bit, CodeBuilder, ins } from '../codegen/builder.js';
import { EmitCx } from '../codegen/context.js';
import { convOp } from '../codegen/ops/conv.js';
import { requantBytes } from '../codegen/ops/epilogue.js';
import { gemmOp } from '../codegen/ops/gemm.js';
import { ibertOp, matMulOp } from '../codegen/ops/ibert.js';
import { copyOp, padOp, resizeOp } from '../codegen/ops/movement.js';
import { elementwiseOp, poolOp } from '../codegen/ops/vector.js';
import { emitTiled, SEM, type TiledOp } from '../codegen/schedule.js';
import type { IoBinding, NpuGraph, NpuOp } from '../ir.js';
import type { MemoryPlan } from '../memory/memory-types.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';

/** The DRAM constants image: each op's weights, bias, requantization table and LUT at the planned offsets. */
function constantImage(g: NpuGraph, plan: MemoryPlan): Uint8Array {
  const image = new Uint8Array(plan.constBytes);
  const byId = new Map(g.ops.map((op) => [op.id, op]));
  const bytes = (a: ArrayBufferView): Uint8Array =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const c of plan.constants) {
    const op = byId.get(c.op)!;
    let data: Uint8Array;
    if (op.kind === 'conv' || op.kind === 'gemm') {
      const e = op.epilogue;
      if (c.what === 'weights') data = bytes(op.kind === 'conv' ? op.weight : op.weightT);
      else if (c.what === 'bias') data = bytes(e.bias!);
      else if (c.what === 'requant') data = requantBytes(op);
      else if (e.activation.act === 'lut') data = bytes(e.activation.table);
      else throw new Error(`codegen: op ${op.id} has no LUT`);
    } else if (op.kind === 'matmul' && c.what === 'requant') data = requantBytes(op);
    else if (op.kind === 'ibert' && c.what === 'params') data = op.params;
    else if ((op.kind === 'add' || op.kind === 'mul') && c.what === 'operand' && op.constB)
      data = bytes(op.constB.data);
    else if (op.kind === 'lut' && c.what === 'lut') data = bytes(op.table);
    else throw new Error(`codegen: unexpected constant '${c.what}' of ${op.kind} op ${op.id}`);
    image.set(data, c.offset);
  }
  return image;
}

function ioDescriptor(cx: EmitCx, b: IoBinding): IoDescriptor {
  const t = cx.tensor(b.tensor);
  return {
    name: b.onnxName,
    shape: [...t.shape],
    dtype: t.dtype as IoDType,
    scale: b.quant?.scale ?? t.quant?.scale ?? 1,
    zeroPoint: b.quant?.zp ?? t.quant?.zp ?? 0,
    dramAddr: cx.addr(b.tensor),
    layout: t.shape.length === 4 ? 'NCHW' : 'row-major',
  };
}

function tiledOf(cx: EmitCx, op: NpuOp): TiledOp | undefined {
  switch (op.kind) {
    case 'conv':
      return convOp(cx, op);
    case 'gemm':
      return gemmOp(cx, op);
    case 'add':
    case 'mul':
    case 'lut':
    case 'clamp':
      return elementwiseOp(cx, op);
    case 'pool':
      return poolOp(cx, op);
    case 'ibert':
      return ibertOp(cx, op);
    case 'matmul':
      return matMulOp(cx, op);
    case 'pad':
      return padOp(cx, op);
    case 'resize':
      return resizeOp(cx, op);
    case 'move':
      return op.view ? undefined : copyOp(cx, op);
    case 'host':
      throw new NpuError('unsupported', [
        `node '${op.node.name}' (${op.node.opType}) runs on the host: programs with host-fallback nodes cannot be emitted yet`,
      ]);
  }
}

export function emitProgram(
  g: NpuGraph,
  hw: HwConfig,
  tiling: EmitCx['tiling'],
  memory: MemoryPlan,
): Program {
  const cx = new EmitCx(g, hw, tiling, memory);
  const cb = new CodeBuilder();
  let afterOp = false;
  for (const op of g.ops) {
    const t = tiledOf(cx, op);
    if (t === undefined || t.tiles === 0) continue;
    cb.node = op.nodes.join('+');
    emitTiled(cb, t, afterOp);
    afterOp = true;
  }
  cb.node = '';
  cb.push(ins('halt', { wait: afterOp ? bit(SEM.barrier) : 0 }));
  return programFor(hw, {
    code: cb.code.map(encode),
    dram: [{ addr: 0, data: constantImage(g, memory) }],
    inputs: g.inputs.map((b) => ioDescriptor(cx, b)),
    outputs: g.outputs.map((b) => ioDescriptor(cx, b)),
    debug: cb.nodes.flatMap((node, pc) => (node === '' ? [] : [{ pc, node }])),
  });
}

export const emitPass: Pass = {
  name: 'emit',
  run(s) {
    const g = need(s.graph, 'the NPU graph', 'emit');
    // host-fallback partitions are not emitted yet: the result then has the estimate and report but no program
    if (g.ops.some((op) => op.kind === 'host')) return;
    s.program = emitProgram(
      g,
      { ...s.options.hw, requant: s.options.requant },
      need(s.tiling, 'tiling', 'emit'),
      need(s.memory, 'memory plan', 'emit'),
    );
  },
};
