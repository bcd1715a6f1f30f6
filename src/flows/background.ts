import type { Logger } from '../platform/logger.ts';
import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { trimOutbox, outboxBacklog } from '../modules/ingest/index.ts';
import { pumpBatch, EVENT_STORE_CONSUMER } from './pump-events.ts';
import { projectBatch, PROJECTOR } from './project-events.ts';
import { traitsStep } from './traits-incremental.ts';
import { segmentsStep } from './segments-refresh.ts';

/**
 * The consumers of the outbox, run as loops in the server process: the event-store pump and the
 * read-model projector. Each loop sleeps when idle and backs off on errors (a store being down).
 */
/** A consumer step smaller than this waits before the next one. */
const MIN_BATCH = 500;

export class BackgroundWorkers {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  lastError: string | null = null;

  /**
   * `busy` says acknowledgements are waiting (the ingest writer has queued requests). Consumers
   * then yield for a moment before each step, so acknowledgement latency comes first and the read
   * models catch up in the gaps (the backlog is visible at /metrics).
   */
  constructor(private readonly op: OpStore, private readonly es: EventStoreDb, private readonly log: Logger, private readonly busy: () => boolean = () => false) {}

  start() {
    this.loops.push(this.loop('pump', () => pumpBatch(this.op, this.es)));
    this.loops.push(this.loop('projector', () => projectBatch(this.op, 2000)));
    this.loops.push(this.loop('traits', () => traitsStep(this.op, this.es)));
    // Saved segments follow the traits: refreshed when a traits pass moved on (throttled), and on their schedule.
    this.loops.push(this.loop('segments', () => segmentsStep(this.op, this.es)));
    let trimmed = 0;
    let analyzedAt = Date.now();
    this.loops.push(this.loop('trim', async () => {
      trimmed += await trimOutbox(this.op, [EVENT_STORE_CONSUMER, PROJECTOR]);
      if (this.op.kind === 'pglite') {
        // PGlite has no autovacuum: reclaim the trimmed outbox rows and refresh planner statistics.
        if (trimmed > 20_000) {
          await this.op.exec('vacuum event_outbox');
          trimmed = 0;
        }
        if (Date.now() - analyzedAt > 5 * 60_000) {
          await this.op.exec('analyze');
          analyzedAt = Date.now();
        }
      }
      await this.pause(2000);
      return 0;
    }));
  }

  /** Wakes idle loops at once (waitIdle and stop use it; ingestion does not, to let batches grow). */
  poke() {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private onStop: Array<() => void> = [];

  /** A sleep that new events do not cut short, only stop(). */
  private pause(ms: number) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.onStop = this.onStop.filter((f) => f !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.onStop.push(done);
    });
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private async loop(name: string, step: () => Promise<number>) {
    let failures = 0;
    while (!this.stopped) {
      try {
        const t0 = performance.now();
        const n = await step();
        failures = 0;
        if (this.stopped) break;
        // While acknowledgements wait, a consumer takes at most a fifth of the time.
        if (this.busy()) await this.pause(Math.min(2000, 4 * (performance.now() - t0)));
        // Small batches cost a fixed overhead each: below MIN_BATCH, wait for more to accumulate
        // (read models then trail acknowledgements by about a quarter of a second).
        if (n < MIN_BATCH) await this.sleep(n === 0 ? 200 : 250);
      } catch (e) {
        failures++;
        this.lastError = `${name}: ${(e as Error).message}`;
        this.log.warn({ worker: name, err: (e as Error).message, failures }, 'background step failed');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures, 6))));
      }
    }
  }

  /** Resolves once both consumers have caught up with every acknowledged event (or the timeout passes). */
  async waitIdle(timeoutMs = 600_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      this.poke();
      const [a, b] = await Promise.all([outboxBacklog(this.op, EVENT_STORE_CONSUMER), outboxBacklog(this.op, PROJECTOR)]);
      if (a === 0 && b === 0) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async stop() {
    this.stopped = true;
    this.poke();
    for (const f of [...this.onStop]) f();
    await Promise.all(this.loops);
  }
}
