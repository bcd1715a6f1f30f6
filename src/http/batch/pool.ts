import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../../platform/threads/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { parseBatch, type ParsedBatch } from './parse.ts';
import { fromWire, type Job, type Reply } from './wire.ts';

/** Bodies smaller than this are parsed on the event loop: the hop to a thread costs more than they do. */
export const INLINE_BELOW_BYTES = 16 * 1024;

interface Pending {
  raw: Buffer;
  encoding: string | undefined;
  receivedAt: Date;
  resolve: (r: ParsedBatch) => void;
}

/**
 * Parses POST /v1/batch bodies (decompress, JSON, validate, serialise: parse.ts) on `threads`
 * worker threads, so the event loop keeps to HTTP, the store's protocol and the acknowledgements.
 * The same function runs inline for small bodies, with `threads` 0, and for the requests of a
 * thread that failed (the pool then parses everything inline and says so in the log): a body
 * gets the same answer whichever way it goes. Threads start on the first large body.
 */
export class BatchParser {
  private workers: Array<{ w: Worker; load: number }> = [];
  private starting: Promise<void> | null = null;
  private pending = new Map<number, Pending & { slot: number }>();
  private seq = 0;
  private broken = false;
  private closed = false;

  constructor(private readonly threads: number, private readonly log: Logger) {}

  parse(raw: Buffer, encoding: string | undefined, receivedAt: Date): Promise<ParsedBatch> | ParsedBatch {
    if (this.threads <= 0 || this.broken || this.closed || raw.length < INLINE_BELOW_BYTES) return parseBatch(raw, encoding, receivedAt);
    if (this.workers.length < this.threads) return this.start().then(() => this.parse(raw, encoding, receivedAt));
    return new Promise<ParsedBatch>((resolve) => {
      let slot = 0;
      for (let i = 1; i < this.workers.length; i++) if (this.workers[i]!.load < this.workers[slot]!.load) slot = i;
      const id = ++this.seq;
      this.pending.set(id, { raw, encoding, receivedAt, resolve, slot });
      this.workers[slot]!.load++;
      // A copy the thread owns (the request's buffer may be a view of a larger one).
      const own = new Uint8Array(raw);
      const job: Job = { id, raw: own, encoding, receivedAt: receivedAt.getTime() };
      this.workers[slot]!.w.postMessage(job, [own.buffer]);
    });
  }

  get threadsRunning(): number {
    return this.workers.length;
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      try {
        for (let i = 0; i < this.threads; i++) {
          const w = tsWorker(new URL('./worker.ts', import.meta.url));
          await new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          });
          w.removeAllListeners('error');
          const slot = this.workers.length;
          w.on('message', (r: Reply) => this.answer(r));
          w.on('error', (e) => this.fail(slot, e));
          w.on('exit', (code) => { if (!this.closed) this.fail(slot, new Error(`exited with code ${code}`)); });
          this.workers.push({ w, load: 0 });
        }
      } catch (e) {
        this.fail(-1, e as Error);
      }
    })();
    return this.starting;
  }

  private answer(r: Reply) {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    const slot = this.workers[p.slot];
    if (slot) slot.load--;
    p.resolve(fromWire(r));
  }

  /** A thread failed: from now on everything is parsed inline, including what it had not answered. */
  private fail(slot: number, e: Error) {
    if (!this.broken) this.log.error({ err: e.message, thread: slot }, 'batch parse thread failed; parsing on the event loop from now on');
    this.broken = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(parseBatch(p.raw, p.encoding, p.receivedAt));
    }
    for (const { w } of this.workers) void w.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(parseBatch(p.raw, p.encoding, p.receivedAt));
    }
    await Promise.all(this.workers.map(({ w }) => w.terminate()));
    this.workers = [];
  }
}
