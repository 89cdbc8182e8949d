// Pass: QDQ groups → integer ops (QLinearConv, QGemm, QLinearAdd, QLinearLut, IntClip, ...), exactly as the reference.

import { lowerQdq } from '../../reference/qdq/lower-qdq.js';
import type { Pass } from '../state.js';

export const lowerQdqPass: Pass = {
  name: 'lower-qdq',
  run(s) {
    // the same rewrite the reference interpreter runs, so "QDQ Conv" means the same integer kernel on both sides;
    // the NPU has no float, so Softmax / LayerNormalization / Gelu groups become the I-BERT integer kernels (the
    // reference's integerKernels option is the oracle of a compiled transformer)
    s.model = lowerQdq(s.model, { integerKernels: true });
  },
};
