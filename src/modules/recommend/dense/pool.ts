import { Worker } from 'node:worker_threads';
import { runTask, taskCount, PHASE, type SolverState } from './solver.ts';

/** Control words shared with the workers. */
const GEN = 0, PH = 1, PARAM = 2, NEXT = 3, COUNT = 4, DONE = 5, FAILED = 6, CTRL_LEN = 8;

export interface PoolBuffers {
  n: number;
  T: number;
  nt: number;
  A: SharedArrayBuffer | ArrayBuffer;
  W: SharedArrayBuffer | ArrayBuffer;
  D: SharedArrayBuffer | ArrayBuffer;
}

/**
 * Runs solver phases on the main thread plus `threads - 1` worker threads over shared buffers.
 * `run` is synchronous: the main thread takes tasks too, then waits (Atomics) for the workers.
 * With one thread no worker is started and nothing needs to be shared.
 */
export class SolverPool {
  private constructor(
    private readonly state: SolverState,
    private readonly ctrl: Int32Array,
    private readonly workers: Worker[],
  ) {}

  static async create(b: PoolBuffers, threads: number): Promise<SolverPool> {
    const state: SolverState = { n: b.n, T: b.T, nt: b.nt, A: new Float64Array(b.A), W: new Float64Array(b.W), D: new Float64Array(b.D), scratch: new Float64Array(b.T * b.T) };
    const nWorkers = Math.max(0, Math.floor(threads) - 1);
    const ctrl = new Int32Array(nWorkers > 0 ? new SharedArrayBuffer(CTRL_LEN * 4) : new ArrayBuffer(CTRL_LEN * 4));
    const workers: Worker[] = [];
    try {
      for (let w = 0; w < nWorkers; w++) {
        const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { ...b, ctrl: ctrl.buffer } });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`solver worker exited (${code}) before it was ready`)));
        });
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        worker.on('error', () => undefined);
      }
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    return new SolverPool(state, ctrl, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  get solver(): SolverState {
    return this.state;
  }

  /** Runs every task of a phase across the threads; returns when all are done. */
  run(phase: number, param = 0): void {
    const count = taskCount(this.state, phase, param);
    if (count <= 0) return;
    const c = this.ctrl;
    if (this.workers.length === 0 || count === 1) {
      for (let t = 0; t < count; t++) runTask(this.state, phase, t, param);
      return;
    }
    c[PH] = phase;
    c[PARAM] = param;
    c[COUNT] = count;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let t: number;
    while ((t = Atomics.add(c, NEXT, 1)) < count) runTask(this.state, phase, t, param);
    let d: number;
    while ((d = Atomics.load(c, DONE)) < this.workers.length) Atomics.wait(c, DONE, d, 1000);
    if (Atomics.load(c, FAILED) !== 0) throw new Error(`a solver worker failed in phase ${phase}`);
  }

  async close(): Promise<void> {
    if (this.workers.length === 0) return;
    this.ctrl[PH] = PHASE.stop;
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The loop a worker thread runs (called by worker.ts). */
export function workerLoop(data: PoolBuffers & { ctrl: SharedArrayBuffer }, ready: () => void): void {
  const c = new Int32Array(data.ctrl);
  const state: SolverState = { n: data.n, T: data.T, nt: data.nt, A: new Float64Array(data.A), W: new Float64Array(data.W), D: new Float64Array(data.D), scratch: new Float64Array(data.T * data.T) };
  let gen = Atomics.load(c, GEN);
  ready();
  for (;;) {
    Atomics.wait(c, GEN, gen);
    const now = Atomics.load(c, GEN);
    if (now === gen) continue;
    gen = now;
    const phase = c[PH]!;
    if (phase === PHASE.stop) return;
    const count = c[COUNT]!, param = c[PARAM]!;
    try {
      let t: number;
      while ((t = Atomics.add(c, NEXT, 1)) < count) runTask(state, phase, t, param);
    } catch {
      // the main thread reports it after the phase (a worker cannot throw across threads)
      Atomics.store(c, FAILED, 1);
      Atomics.store(c, NEXT, count);
    }
    Atomics.add(c, DONE, 1);
    Atomics.notify(c, DONE);
  }
}
