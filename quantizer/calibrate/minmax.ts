// MIN_MAX: the observed range (onnxruntime MinMaxCalibrater without moving average).

import type { RangeMethod } from './method.js';

export const MIN_MAX: RangeMethod = {
  threshold: (side) => side.maxAbs,
  asymmetric: (st) => [st.min, st.max],
};
