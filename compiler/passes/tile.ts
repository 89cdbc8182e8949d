// Pass: choose each op's tiles so the working set (double-buffered I/O tiles, halos, constants) fits SRAM.

import { fail } from '../../common/diagnostics.js';
import { sramBytes } from '../../isa/hw-config.js';
import type { NpuOp } from '../ir.js';
import type { Pass } from '../state.js';
import { need } from '../state.js';
import { gemmWorkingSet, tileGemm } from '../tiling/gemm.js';
import { tileMatMul } from '../tiling/matmul.js';
import { specOf } from '../tiling/specs.js';
import type { OpTiling } from '../tiling/tile-types.js';
import { channelUnit, tileWindow, workingSet } from '../tiling/window.js';

const describe = (op: NpuOp): string => `${op.kind} '${op.nodes[0]}'`;

export const tilePass: Pass = {
  name: 'tile',
  run(s) {
    const g = need(s.graph, 'the NPU graph', 'tile');
    const sram = sramBytes(s.options.hw);
    const tiling = new Map<number, OpTiling>();
    for (const op of g.ops) {
      const spec = specOf(g, op);
      if (spec.kind === 'none') continue;
      const t =
        spec.kind === 'gemm'
          ? tileGemm(spec.spec, sram, op.id)
          : spec.kind === 'matmul'
            ? tileMatMul(spec.spec, spec.batch, sram, op.id)
            : tileWindow(spec.spec, sram, op.id);
      if (t === undefined) {
        const min =
          spec.kind === 'window'
            ? workingSet(spec.spec, channelUnit(spec.spec.outC, spec.spec.groups), 1)
            : gemmWorkingSet(spec.spec, 1, 1);
        fail('tileTooLarge', [describe(op), min, sram]);
      }
      tiling.set(op.id, t);
    }
    s.tiling = tiling;
  },
};
