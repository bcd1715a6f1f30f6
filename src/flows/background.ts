import type { Logger } from '../platform/logger.ts';
import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { trimOutbox, outboxBacklog } from '../modules/ingest/index.ts';
import { pumpBatch, EVENT_STORE_CONSUMER } from './pump-events.ts';
import { projectBatch, PROJECTOR } from './project-events.ts';
import { traitsStep } from './traits-incremental.ts';

/**
 * The consumers of the outbox, run as loops in the server process: the event-store pump and the
 * read-model projector. Each loop sleeps when idle and backs off on errors (a store being down).
 */
export class BackgroundWorkers {
  private stopped = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  lastError: string | null = null;

  constructor(private readonly op: OpStore, private readonly es: EventStoreDb, private readonly log: Logger) {}

  start() {
    this.loops.push(this.loop('pump', () => pumpBatch(this.op, this.es)));
    this.loops.push(this.loop('projector', () => projectBatch(this.op)));
    this.loops.push(this.loop('traits', () => traitsStep(this.op, this.es)));
    this.loops.push(this.loop('trim', async () => {
      await trimOutbox(this.op, [EVENT_STORE_CONSUMER, PROJECTOR]);
      await this.sleep(2000);
      return 0;
    }));
  }

  /** Wakes idle loops (called after new events are acknowledged). */
  poke() {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
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
        const n = await step();
        failures = 0;
        if (n === 0 && !this.stopped) await this.sleep(200);
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
    await Promise.all(this.loops);
  }
}
