// Runs sweep points in parallel: one child process per core, each loading the model once (in-process for 1 job).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../onnx/model-io.js';
import { runPoint, type PointJob, type PointResult } from './point.js';

export type ToWorker =
  { type: 'init'; modelPath: string } | { type: 'job'; job: PointJob } | { type: 'exit' };
export type ToParent =
  { type: 'ready' } | { type: 'result'; result: PointResult } | { type: 'crash'; message: string };

/** The worker entry next to this file: .ts under tsx / vitest (children then need the tsx loader too), else .js. */
function workerEntry(): { path: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(ts ? './worker.ts' : './worker.js', import.meta.url));
  return { path, execArgv: ts ? ['--import', 'tsx'] : [] };
}

/**
 * Runs every job and returns the results in job order. `workers` <= 1 runs them here; otherwise up to `workers`
 * child processes take jobs from a shared queue (a compile plus a simulation is seconds of CPU per point).
 */
export async function runPoints(
  modelPath: string,
  jobs: readonly PointJob[],
  workers: number,
  onResult: (r: PointResult) => void = () => {},
): Promise<PointResult[]> {
  const results: PointResult[] = new Array<PointResult>(jobs.length);
  const n = Math.min(workers, jobs.length);
  if (n <= 1) {
    const model = loadModel(modelPath);
    jobs.forEach((job, k) => {
      results[k] = runPoint(model, job);
      onResult(results[k]);
    });
    return results;
  }
  loadModel(modelPath); // a bad model is one error here, not one per worker
  const { path, execArgv } = workerEntry();
  let next = 0;
  const children: ChildProcess[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      const give = (child: ChildProcess): void => {
        if (next >= jobs.length) {
          child.send({ type: 'exit' } satisfies ToWorker);
          return;
        }
        child.send({ type: 'job', job: jobs[next++] } satisfies ToWorker);
      };
      for (let w = 0; w < n; w++) {
        const child = fork(path, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        child.on('message', (m: ToParent) => {
          if (m.type === 'ready') give(child);
          else if (m.type === 'result') {
            const k = jobs.findIndex((j) => j.index === m.result.index);
            results[k] = m.result;
            onResult(m.result);
            if (++done === jobs.length) resolve();
            else give(child);
          } else reject(new Error(`sweep worker failed: ${m.message}`));
        });
        child.on('exit', (code) => {
          if (code !== 0 && done < jobs.length)
            reject(new Error(`sweep worker exited with code ${code}`));
        });
        child.send({ type: 'init', modelPath } satisfies ToWorker);
      }
    });
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  return results;
}
