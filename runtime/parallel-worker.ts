// A worker thread of runtime/parallel.ts: loads the program once, then runs the batch chunks its parent sends it.

import { parentPort, workerData } from 'node:worker_threads';
import { readProgram } from '../isa/program-file.js';
import { toWorkerError, type ChunkJob, type FromWorker, type WorkerInit } from './parallel.js';
import { NpuSession } from './session.js';

const init = workerData as WorkerInit;
const session = new NpuSession(readProgram(init.program), { hw: init.hw });
const port = parentPort!;

port.on('message', (job: ChunkJob) => {
  let reply: FromWorker;
  let transfer: ArrayBuffer[] = [];
  try {
    const r = session.run(job.inputs, { raw: job.raw, trace: job.trace });
    reply = {
      type: 'result',
      id: job.id,
      result: {
        outputs: r.outputs,
        stats: r.stats,
        ...(r.trace !== undefined ? { records: r.trace.records } : {}),
      },
    };
    transfer = [...new Set(Object.values(r.outputs).map((t) => t.data.buffer as ArrayBuffer))];
  } catch (e) {
    reply = { type: 'error', id: job.id, error: toWorkerError(e) };
  }
  port.postMessage(reply, transfer);
});
