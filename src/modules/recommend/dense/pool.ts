import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../../../platform/threads/index.ts';

/**
 * Control words shared with the workers: the phase's generation, phase, parameter, next task,
 * task count; how many workers are inside the current phase; a failure flag; the generation the
 * main thread has closed (no worker may join it any more).
 */
const GEN = 0, PH = 1, PARAM = 2, NEXT = 3, COUNT = 4, ACTIVE = 5, FAILED = 6, CLOSED = 7, CTRL_LEN = 8;

/** The phase number that tells workers to exit (no task kind may use it). */
export const STOP_PHASE = 99;

/**
 * A kind of parallel work: how a thread builds its view of the shared data, and the tasks of
 * each phase. Tasks of one phase must be independent (any order, any thread); phases are
 * separated by barriers. A worker finds its kind by name in dense/task-kinds.ts.
 */
export interface TaskKind<D, S> {
  readonly name: string;
  /** A thread's state over the data (typed arrays over the same SharedArrayBuffers, own scratch). */
  state(data: D): S;
  /** Number of tasks in a phase. */
  count(state: S, phase: number, param: number): number;
  /** Runs task t of a phase. */
  run(state: S, phase: number, t: number, param: number): void;
}

/**
 * Runs phases on the main thread plus `threads - 1` worker threads over shared data. `data`'s
 * typed arrays must be over SharedArrayBuffers when threads > 1 (workers receive a structured
 * clone, which shares such buffers). `run` is synchronous: the main thread takes tasks too; when
 * none are left it closes the phase and waits (Atomics) only for the workers that joined it. A
 * worker the OS has not scheduled yet (a busy machine) never holds a phase up: it finds the
 * phase closed and waits for the next one.
 */
export class TaskPool<D, S> {
  private constructor(
    private readonly kind: TaskKind<D, S>,
    readonly state: S,
    private readonly ctrl: Int32Array,
    private readonly workers: Worker[],
  ) {}

  static async create<D, S>(kind: TaskKind<D, S>, data: D, threads: number): Promise<TaskPool<D, S>> {
    const state = kind.state(data);
    const nWorkers = Math.max(0, Math.floor(threads) - 1);
    const ctrl = new Int32Array(nWorkers > 0 ? new SharedArrayBuffer(CTRL_LEN * 4) : new ArrayBuffer(CTRL_LEN * 4));
    const workers: Worker[] = [];
    try {
      for (let w = 0; w < nWorkers; w++) {
        const worker = tsWorker(new URL('./worker.ts', import.meta.url), { workerData: { kind: kind.name, data, ctrl: ctrl.buffer } });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`${kind.name} worker exited (${code}) before it was ready`)));
        });
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        worker.on('error', () => undefined);
      }
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    return new TaskPool(kind, state, ctrl, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Runs every task of a phase across the threads; returns when all are done. */
  run(phase: number, param = 0): void {
    const count = this.kind.count(this.state, phase, param);
    if (count <= 0) return;
    const c = this.ctrl;
    if (this.workers.length === 0 || count === 1) {
      for (let t = 0; t < count; t++) this.kind.run(this.state, phase, t, param);
      return;
    }
    Atomics.store(c, PH, phase);
    Atomics.store(c, PARAM, param);
    Atomics.store(c, COUNT, count);
    Atomics.store(c, NEXT, 0);
    const gen = Atomics.add(c, GEN, 1) + 1;
    Atomics.notify(c, GEN);
    let t: number;
    while ((t = Atomics.add(c, NEXT, 1)) < count) this.kind.run(this.state, phase, t, param);
    // no task left to hand out: close the phase, then wait for the workers still inside it
    Atomics.store(c, CLOSED, gen);
    let a: number;
    while ((a = Atomics.load(c, ACTIVE)) > 0) Atomics.wait(c, ACTIVE, a, 1000);
    if (Atomics.load(c, FAILED) !== 0) throw new Error(`a ${this.kind.name} worker failed in phase ${phase}`);
  }

  async close(): Promise<void> {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, PH, STOP_PHASE);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The loop a worker thread runs (called by worker.ts with its kind). */
export function workerLoop<D, S>(kind: TaskKind<D, S>, data: D, ctrlBuffer: SharedArrayBuffer, ready: () => void): void {
  const c = new Int32Array(ctrlBuffer);
  const state = kind.state(data);
  let seen = Atomics.load(c, GEN);
  ready();
  for (;;) {
    Atomics.wait(c, GEN, seen);
    const gen = Atomics.load(c, GEN);
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(c, PH) === STOP_PHASE) return;
    // join the phase only if it is still the current one and not closed; while this worker is
    // counted in ACTIVE the main thread cannot close it and start the next one
    Atomics.add(c, ACTIVE, 1);
    if (Atomics.load(c, GEN) === gen && Atomics.load(c, CLOSED) !== gen) {
      const phase = Atomics.load(c, PH), count = Atomics.load(c, COUNT), param = Atomics.load(c, PARAM);
      try {
        let t: number;
        while ((t = Atomics.add(c, NEXT, 1)) < count) kind.run(state, phase, t, param);
      } catch {
        // the main thread reports it after the phase (a worker cannot throw across threads)
        Atomics.store(c, FAILED, 1);
        Atomics.store(c, NEXT, count);
      }
    }
    Atomics.sub(c, ACTIVE, 1);
    Atomics.notify(c, ACTIVE);
  }
}
