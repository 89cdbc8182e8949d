// Pass: evaluate constant subgraphs (torch's Constant / Cast / Shape / ConstantOfShape clutter) into initializers.

import { foldConstants } from '../../onnx/fold-constants.js';
import { KERNELS } from '../../reference/ops/registry.js';
import type { Pass } from '../state.js';

export const foldConstantsPass: Pass = {
  name: 'fold-constants',
  run(s) {
    // the reference's own kernels fold, so a folded value is exactly what the interpreter would compute
    s.model = foldConstants(s.model, KERNELS);
  },
};
