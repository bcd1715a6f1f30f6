import type { Logger } from '../platform/logger.ts';
import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { trimOutbox, outboxBacklog } from '../modules/ingest/index.ts';
import { pumpBatch, EVENT_STORE_CONSUMER } from './pump-events.ts';
import { projectBatch, PROJECTOR } from './project-events.ts';
import { traitsStep } from './traits-incremental.ts';
import { segmentsStep } from './segments-refresh.ts';
import { warmStores } from './warm-stores.ts';
import { influenceRefreshStep } from './traits-influence-refresh.ts';

/**
 * The consumers of the outbox, run as loops in the server process: the event-store pump and the
 * read-model projector. Each loop sleeps when idle and backs off on errors (a store being down).
 */
/** A consumer step smaller than this waits before the next one. */
const MIN_BATCH = 500;
/** While acknowledgements wait, the consumers together take at most this share of the wall time... */
const BUSY_SHARE = 0.05;
/** ...unless they are this many events behind: then they run flat out (ingestion slows instead). */
const MAX_LAG_EVENTS = 2_000_000;

export class BackgroundWorkers {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  lastError: string | null = null;

  /**
   * `busy` says acknowledgements are waiting (the ingest writer has queued requests). Consumers
   * then take turns (one step at a time across all loops) and rest after each step, so together
   * they use at most BUSY_SHARE of the time: acknowledgements come first and the read models catch
   * up when the burst ends (the backlog is visible at /metrics). Past MAX_LAG_EVENTS behind, they
   * stop resting: the read models never fall further behind than that.
   */
  constructor(private readonly op: OpStore, private readonly es: EventStoreDb, private readonly log: Logger, private readonly busy: () => boolean = () => false) {}

  /** One consumer step at a time while acknowledgements wait (a promise chain as the queue). */
  private turn: Promise<void> = Promise.resolve();
  private lag = { at: 0, events: 0 };

  private async behind(): Promise<number> {
    if (Date.now() - this.lag.at > 1000) {
      this.lag.at = Date.now();
      const [a, b] = await Promise.all([outboxBacklog(this.op, EVENT_STORE_CONSUMER), outboxBacklog(this.op, PROJECTOR)]);
      this.lag.events = Math.max(a, b);
    }
    return this.lag.events;
  }

  /**
   * Runs `step`; while acknowledgements wait, in turn with the other loops, with its small batch
   * size (a step holds the event loop for its synchronous parts), then rests.
   */
  private async politely(step: (small: boolean) => Promise<number>): Promise<number> {
    if (!this.busy() || (await this.behind()) > MAX_LAG_EVENTS) return step(false);
    const prev = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((r) => (release = r));
    await prev;
    try {
      const t0 = performance.now();
      const n = await step(true);
      if (this.busy() && !this.stopped) await this.pause(Math.min(5000, ((1 - BUSY_SHARE) / BUSY_SHARE) * (performance.now() - t0)));
      return n;
    } finally {
      release();
    }
  }

  start() {
    // The event store's hot tables into its buffer pool, beside the loops (flows/warm-stores.ts).
    void warmStores(this.es).then(({ ms, ok }) => {
      if (!this.stopped) this.log.info({ ms: Math.round(ms), complete: ok }, ok ? 'event store warmed' : 'event store warm incomplete (a scan failed)');
    });
    this.loops.push(this.loop('pump', (small) => pumpBatch(this.op, this.es, small ? 1000 : 5000)));
    this.loops.push(this.loop('projector', (small) => projectBatch(this.op, small ? 500 : 2000)));
    this.loops.push(this.loop('traits', () => traitsStep(this.op, this.es)));
    // What traits passes leave for later (centrality, large cascades' counts): refreshed when due, outside the passes.
    let refreshAt = 0;
    this.loops.push(this.loop('influence refresh', async () => {
      if (Date.now() < refreshAt) return 0;
      refreshAt = Date.now() + 1000;
      return influenceRefreshStep(this.es);
    }));
    // Saved segments follow the traits: refreshed when a traits pass moved on (throttled), and on their schedule.
    this.loops.push(this.loop('segments', () => segmentsStep(this.op, this.es)));
    let trimmed = 0;
    let analyzedAt = Date.now();
    this.loops.push(this.loop('trim', async () => {
      trimmed += await trimOutbox(this.op, [EVENT_STORE_CONSUMER, PROJECTOR]);
      if (this.op.kind === 'pglite' && !this.busy()) {
        // PGlite has no autovacuum: reclaim the trimmed outbox rows and refresh planner statistics,
        // while no acknowledgement waits (PGlite runs one statement at a time: a vacuum of a large
        // backlog's blocks held ingestion for seconds).
        if (trimmed > 20_000) {
          await this.op.exec('vacuum event_outbox, event_outbox_bodies');
          trimmed = 0;
        }
        if (Date.now() - analyzedAt > 5 * 60_000) {
          await this.op.exec('analyze');
          analyzedAt = Date.now();
        }
      }
      await this.pause(2000);
      return 0;
    }, false));
  }

  /** Wakes idle loops at once (waitIdle and stop use it; ingestion does not, to let batches grow). */
  poke() {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private onStop: Array<() => void> = [];

  /** A sleep that new events do not cut short, only stop() and poke() (someone waits for the consumers). */
  private pause(ms: number) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.onStop = this.onStop.filter((f) => f !== done);
        this.wake = this.wake.filter((f) => f !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.onStop.push(done);
      this.wake.push(done);
    });
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = this.wake.filter((f) => f !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake.push(done);
    });
  }

  private async loop(name: string, step: (small: boolean) => Promise<number>, polite = true) {
    let failures = 0;
    while (!this.stopped) {
      try {
        const n = polite ? await this.politely(step) : await step(false);
        failures = 0;
        if (this.stopped) break;
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
