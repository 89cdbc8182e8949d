// A sweep worker process: loads the model once, then compiles and simulates the points its parent sends it.
import { loadModel } from '../../onnx/model-io.js';
import type { Model } from '../../onnx/graph.js';
import { runPoint } from './point.js';
import type { ToParent, ToWorker } from './pool.js';

let model: Model | undefined;

const send = (m: ToParent): void => {
  process.send!(m);
};

process.on('message', (msg: ToWorker) => {
  try {
    if (msg.type === 'init') {
      model = loadModel(msg.modelPath);
      send({ type: 'ready' });
    } else if (msg.type === 'job') {
      if (model === undefined) throw new Error('sweep worker: job before init');
      send({ type: 'result', result: runPoint(model, msg.job) });
    } else process.exit(0);
  } catch (e) {
    send({ type: 'crash', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});

// the parent is gone (finished, killed or crashed): nothing more will come
process.on('disconnect', () => process.exit(0));
