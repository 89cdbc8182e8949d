// The EXECUTE table: one executor per mnemonic (a missing instruction fails to compile).
import type { Mnemonic } from '../../isa/instructions.js';
import { dmaCfg, dmaLoad, dmaStore } from './dma.js';
import { vecGelu, vecLayerNorm, vecSoftmax } from './ibert.js';
import { conv, gemm, macQuant, macShape } from './mac.js';
import { vecPool } from './pool.js';
import {
  vecAdd,
  vecClamp,
  vecLut,
  vecMove,
  vecMoveCfg,
  vecMul,
  vecScale,
  vecZp,
} from './vector.js';
import { NO_WORK, type Exec } from './work.js';

/** sync and halt act in the dispatcher (engines.ts); as executed instructions they do nothing. */
const sync: Exec<'sync'> = () => NO_WORK;
const halt: Exec<'halt'> = () => NO_WORK;

export const EXECUTE = {
  'dma.cfg': dmaCfg,
  'dma.load': dmaLoad,
  'dma.store': dmaStore,
  'mac.shape': macShape,
  'mac.quant': macQuant,
  conv,
  gemm,
  'vec.scale': vecScale,
  'vec.zp': vecZp,
  'vec.add': vecAdd,
  'vec.mul': vecMul,
  'vec.pool': vecPool,
  'vec.lut': vecLut,
  'vec.movecfg': vecMoveCfg,
  'vec.move': vecMove,
  'vec.clamp': vecClamp,
  'vec.softmax': vecSoftmax,
  'vec.layernorm': vecLayerNorm,
  'vec.gelu': vecGelu,
  sync,
  halt,
} satisfies { [M in Mnemonic]: Exec<M> };
