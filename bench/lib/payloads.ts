import { simulate } from '../../src/sim/index.ts';

/**
 * Request bodies for the ingest bench: 100-message Segment batches taken from the simulated
 * e-commerce world (product views, carts, orders, shares, identifies...). Each message is
 * serialised once without its messageId; every request then gets fresh, unique messageIds, so a
 * long run never sends a duplicate (deduplication would otherwise make later requests cheaper).
 */
export class Payloads {
  private readonly templates: string[][] = [];
  readonly avgEventBytes: number;

  constructor(opts: { batchSize: number; templates: number; seed?: number }) {
    const days = 30;
    const start = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
    const sim = simulate({ users: 20_000, days, seed: opts.seed ?? 7, startDate: start }, opts.batchSize);
    let bytes = 0;
    let n = 0;
    let skip = 200; // the first hours are mostly sign-ups; start a little later for a steady-state mix
    for (const batch of sim.batches()) {
      if (skip-- > 0) continue;
      if (batch.length < opts.batchSize) continue;
      const items = batch.map((m) => {
        const { messageId: _drop, ...rest } = m;
        const s = JSON.stringify(rest);
        bytes += Buffer.byteLength(s) + 40; // + the messageId we add per request
        n++;
        return s.slice(1); // without the leading '{'
      });
      this.templates.push(items);
      if (this.templates.length >= opts.templates) break;
    }
    if (!this.templates.length) throw new Error('payloads: the simulator produced no full batch');
    this.avgEventBytes = bytes / n;
  }

  get batchSize(): number {
    return this.templates[0]!.length;
  }

  /** The JSON body of request number `k` of stream `tag`. */
  body(tag: string, k: number): string {
    const items = this.templates[k % this.templates.length]!;
    const parts = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) parts[i] = `{"messageId":"${tag}-${k}-${i}",${items[i]}`;
    return `{"batch":[${parts.join(',')}],"sentAt":"${new Date().toISOString()}"}`;
  }
}
