// The instruction stream under construction: typed instructions, the ONNX node of each, and deduplicated configs.

import type { Instruction, InstructionOf, Mnemonic } from '../../isa/instructions.js';
import { BY_MNEMONIC } from '../../isa/table.js';

export const bit = (k: number): number => 1 << k;

/** Instructions that only write engine registers: identical consecutive ones (per engine / channel) are dropped. */
export const CONFIG: ReadonlySet<Mnemonic> = new Set([
  'dma.cfg',
  'mac.shape',
  'mac.quant',
  'vec.scale',
  'vec.zp',
  'vec.movecfg',
]);

/** An instruction with every field of the table set: the given ones, zero (or the first enum value) otherwise. */
export function ins<M extends Mnemonic>(
  op: M,
  fields: Partial<Omit<InstructionOf<M>, 'op'>>,
): InstructionOf<M> {
  const spec = BY_MNEMONIC.get(op)!;
  const given = fields as Record<string, number | string | undefined>;
  const out: Record<string, number | string> = { op };
  for (const f of spec.layout)
    out[f.name] = given[f.name] ?? (f.kind === 'enum' ? f.values![0] : 0);
  return out as unknown as InstructionOf<M>;
}

/** Adds wait / signal bits to an instruction (masks are OR-ed). */
export function sync<I extends Instruction>(i: I, wait: number, signal: number): I {
  return { ...i, wait: i.wait | wait, signal: i.signal | signal };
}

export class CodeBuilder {
  readonly code: Instruction[] = [];
  readonly nodes: string[] = [];
  /** The ONNX node(s) the next instructions belong to (the debug map). */
  node = '';
  // the register state each engine / channel will hold after the instructions so far (program order = queue order)
  private readonly config = new Map<string, string>();

  push(...list: Instruction[]): void {
    for (const i of list) {
      if (CONFIG.has(i.op)) {
        const key = i.op === 'dma.cfg' ? `dma.cfg/${(i as { channel: number }).channel}` : i.op;
        const value = JSON.stringify({ ...i, wait: 0, signal: 0 });
        if (this.config.get(key) === value && i.wait === 0 && i.signal === 0) continue;
        this.config.set(key, value);
      }
      this.code.push(i);
      this.nodes.push(this.node);
    }
  }
}
