import type { OpStore } from '../platform/opstore/index.ts';
import { actorKey } from '../platform/values.ts';
import { getCursor, readOutbox, setCursor, type OutboxRow } from '../modules/ingest/index.ts';
import { resolveEvents, profileKeys, MergeRulesSchema } from '../modules/identity/index.ts';
import { applyCatalogEvents } from '../modules/catalog/index.ts';
import { applyOrderEvent, ORDER_EVENTS } from '../modules/commerce/index.ts';
import { applySocialEvents, attributedShare, recordConversion } from '../modules/social/index.ts';
import { str } from '../platform/values.ts';

export const PROJECTOR = 'projector';

/**
 * Moves acknowledged events from the outbox into the operational read models (identity graph,
 * catalog, orders, social graph, cascades). Cursor and writes commit together, so each event is
 * applied exactly once; one projector runs at a time across nodes (advisory lock).
 */
export async function projectBatch(db: OpStore, limit = 1000): Promise<number> {
  return db.tx(async (q) => {
    const lock = await q.query<{ ok: boolean }>('select pg_try_advisory_xact_lock(4242010) as ok');
    if (!lock.rows[0]?.ok) return 0;
    const cursor = await getCursor(q, PROJECTOR);
    const rows = await readOutbox(q, cursor, limit);
    if (!rows.length) return 0;
    const byWs = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const list = byWs.get(r.workspaceId);
      if (list) list.push(r);
      else byWs.set(r.workspaceId, [r]);
    }
    for (const [ws, list] of byWs) {
      const settings = await q.query<{ settings: { identity?: unknown } }>('select settings from workspaces where id = $1', [ws]);
      const rules = MergeRulesSchema.parse(settings.rows[0]?.settings?.identity ?? {});
      const events = list.map((r) => r.body);
      const profileOf = await resolveEvents(q, ws, events, rules);
      await applyCatalogEvents(q, ws, events);
      // Share touches are in before orders look for them (attribution filters by time).
      await applySocialEvents(q, ws, events);
      for (const e of events) {
        if (e.type !== 'track' || !e.event || !ORDER_EVENTS.has(e.event)) continue;
        let shareId: string | null = null;
        if (e.event === 'Order Completed') {
          shareId = str(e.properties?.share_id, 200);
          const profile = profileOf.get(e.messageId);
          if (!shareId && profile) {
            const k = await profileKeys(q, profile);
            shareId = await attributedShare(q, ws, [...k.userIds.map((u) => `u:${u}`), ...k.anonymousIds.map((a) => `a:${a}`)], e.timestamp);
          }
        }
        const order = await applyOrderEvent(q, ws, e, shareId);
        if (order?.shareId) await recordConversion(q, ws, order.shareId, order.orderId, actorKey(e)!, order.total, order.at);
      }
    }
    await setCursor(q, PROJECTOR, rows[rows.length - 1]!.seq);
    return rows.length;
  });
}
