import type { InteractionKind } from './types.ts';

/** A user's activity since the snapshot was trained: recent views (newest last) and orders. */
export interface LiveSignals {
  views: Array<{ productId: string; ts: number }>;
  purchases: Array<{ productId: string; ts: number }>;
}

const MAX_VIEWS = 20, MAX_PURCHASES = 100;

/**
 * Recent activity per user key, fed from the event store as events arrive, so serving sees what
 * happened after training: the latest views drive session recommendations (anonymous users and
 * new users have nothing else) and new orders are excluded at once. Bounded: the least recently
 * active keys are dropped beyond `maxKeys`. Keyed by product id (not item index), so it outlives
 * model swaps.
 */
export class LiveActivity {
  private byKey = new Map<string, LiveSignals>();
  constructor(private readonly maxKeys = 200_000) {}

  add(userKey: string, productId: string, kind: InteractionKind, ts: number): void {
    let s = this.byKey.get(userKey);
    if (s) this.byKey.delete(userKey);
    else s = { views: [], purchases: [] };
    this.byKey.set(userKey, s);
    if (kind === 'order') {
      s.purchases.push({ productId, ts });
      if (s.purchases.length > MAX_PURCHASES) s.purchases.shift();
    } else {
      const k = s.views.findIndex((v) => v.productId === productId);
      if (k >= 0) s.views.splice(k, 1);
      s.views.push({ productId, ts });
      if (s.views.length > MAX_VIEWS) s.views.shift();
    }
    if (this.byKey.size > this.maxKeys) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
    }
  }

  get(userKey: string): LiveSignals | undefined {
    return this.byKey.get(userKey);
  }

  get size(): number {
    return this.byKey.size;
  }
}
