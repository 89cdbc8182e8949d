// A readable listing of a program: pc, disassembly and the ONNX node each instruction comes from.
import { NpuError } from '../common/diagnostics.js';
import { disassemble } from './asm.js';
import type { Program } from './program-file.js';

/** One line per instruction; a word that does not decode is listed with its error instead of stopping the listing. */
export function listing(p: Pick<Program, 'code' | 'debug'>): string {
  const nodes = new Map(p.debug.map((d) => [d.pc, d.node]));
  const width = String(Math.max(0, p.code.length - 1)).length;
  return p.code
    .map((w, pc) => {
      let text: string;
      try {
        text = disassemble(w);
      } catch (e) {
        if (!(e instanceof NpuError)) throw e;
        text = `.word 0x${w.toString(16)}  # ${e.message}`;
      }
      const node = nodes.get(pc);
      return `${String(pc).padStart(width)}: ${text}${node !== undefined ? `  # ${node}` : ''}`;
    })
    .join('\n');
}
