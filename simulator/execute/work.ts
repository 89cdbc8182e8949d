// What executing one instruction costs: the contract between the execute/ files and the dispatcher.
import type { InstructionOf, Mnemonic } from '../../isa/instructions.js';
import type { Machine } from '../machine.js';
import type { DmaCost } from '../timing.js';

export interface Work {
  /** Engine-busy cycles when nothing else competes (DMA: latency + max(DRAM, SRAM) cycles). */
  readonly cycles: number;
  /** Useful multiply-accumulates (for MAC utilisation). */
  readonly macs: number;
  /** DMA transfers: the parts the shared DRAM arbiter schedules. */
  readonly dma?: DmaCost;
}

export const NO_WORK: Work = { cycles: 0, macs: 0 };
export const work = (cycles: number, macs = 0): Work => ({ cycles, macs });

/** Executes one decoded instruction on the machine (functional effect) and returns its cost. */
export type Exec<M extends Mnemonic> = (m: Machine, i: InstructionOf<M>) => Work;

/**
 * The fields a configuration instruction stores in its registers. The decoded object itself is kept (its extra
 * op/wait/signal fields are never read): copying it with `delete` would turn it into a slow dictionary object.
 */
export const regsOf = <T extends { op: unknown; wait: number; signal: number }>(
  i: T,
): Omit<T, 'op' | 'wait' | 'signal'> => i;
