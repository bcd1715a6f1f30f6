import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { track, identify } from '../helpers/op-events.ts';
import {
  IngestWriter, countStoredIds, getCursor, insertEvents, outboxBacklog, readOutbox, setCursor, trimOutbox, type StoredEvent,
} from '../../src/modules/ingest/index.ts';
import type { OpStore } from '../../src/platform/opstore/index.ts';

/** The outbox rows of one workspace, in seq order. */
async function outboxOf(db: OpStore, ws: string) {
  // A block row points at its events as newline-joined JSON text, with seqs seq .. last_seq (migration 008).
  const r = await db.query<{ seq: number; last_seq: number; body: string }>('select o.seq, o.last_seq, b.body from event_outbox o join event_outbox_bodies b on b.id = o.body_id where o.workspace_id = $1 order by o.seq', [ws]);
  return r.rows.flatMap((x) => {
    const lines = x.body.split('\n');
    assert.equal(Number(x.last_seq) - Number(x.seq) + 1, lines.length, 'a block covers exactly its events');
    return lines.map((l, k) => ({ seq: Number(x.seq) + k, body: JSON.parse(l) as StoredEvent }));
  });
}

forEachOpStore('opstore ingest writer', (getDb) => {
  test('insertEvents stores each (workspace, messageId) once; a replay stores nothing', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const events = [1, 2, 3].map((i) => track('Product Viewed', { userId: 'u1', messageId: `m-${i}`, properties: { product_id: `p${i}` } }));
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events }])), 3);
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events }])), 0);
    assert.equal(await countStoredIds(db, ws), 3);
    const rows = await outboxOf(db, ws);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]!.body, events[0], 'the body round-trips unchanged');
    assert.equal(await db.tx((q) => insertEvents(q, [])), 0);
  });

  test('a batch partly stored before keeps the new events, in order, and only those', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const ev = (m: string) => track('E', { userId: 'u', messageId: m, properties: { m } });
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: ['a', 'b', 'c'].map(ev) }])), 3);
    // x, y, z are new; b and a were stored (the statement's second path: not every event is new)
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: ['x', 'b', 'y', 'a', 'z'].map(ev) }])), 3);
    const rows = await outboxOf(db, ws);
    assert.deepEqual(rows.map((r) => r.body.properties?.m), ['a', 'b', 'c', 'x', 'y', 'z']);
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.seq, rows[i - 1]!.seq + 1, 'one group, one contiguous seq range');
    // two workspaces in one statement, one event already stored in the second
    const ws2 = uid('ws_');
    await db.tx((q) => insertEvents(q, [{ workspaceId: ws2, events: [ev('q')] }]));
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: [ev('k')] }, { workspaceId: ws2, events: [ev('q'), ev('r')] }])), 2);
    assert.deepEqual((await outboxOf(db, ws)).map((r) => r.body.messageId).slice(-1), ['k']);
    assert.deepEqual((await outboxOf(db, ws2)).map((r) => r.body.messageId), ['q', 'r']);
  });

  test('duplicates inside one batch are stored once (the first occurrence wins)', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const first = track('A', { userId: 'u', messageId: 'dup', properties: { n: 1 } });
    const second = track('A', { userId: 'u', messageId: 'dup', properties: { n: 2 } });
    const n = await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: [first, track('B', { userId: 'u', messageId: 'other' }), second] }]));
    assert.equal(n, 2);
    const rows = await outboxOf(db, ws);
    assert.deepEqual(rows.map((r) => r.body.messageId), ['dup', 'other']);
    assert.deepEqual(rows[0]!.body.properties, { n: 1 });
  });

  test('the same messageId in two workspaces is two events', async () => {
    const db = getDb();
    const [a, b] = [uid('ws_'), uid('ws_')];
    const e = track('A', { userId: 'u', messageId: 'shared-id' });
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: a, events: [e] }, { workspaceId: b, events: [e] }, { workspaceId: a, events: [e] }])), 2);
    assert.equal(await countStoredIds(db, a), 1);
    assert.equal(await countStoredIds(db, b), 1);
  });

  test('outbox seq order is submission order, not messageId order', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const ids = ['zz', 'mm', 'aa', 'yy', 'bb'];
    await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: ids.slice(0, 3).map((m) => track('E', { userId: 'u', messageId: m })) }]));
    await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: ids.slice(3).map((m) => track('E', { userId: 'u', messageId: m })) }]));
    const rows = await outboxOf(db, ws);
    assert.deepEqual(rows.map((r) => r.body.messageId), ids);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.seq > rows[i - 1]!.seq);
    const keys = await db.query<{ message_id: string }>('select message_id from event_ids where workspace_id = $1 order by message_id', [ws]);
    assert.deepEqual(keys.rows.map((r) => r.message_id), [...ids].sort(), 'every event has its permanent dedupe key');
  });

  test('a large batch with random messageIds keeps its order in the outbox', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const events = Array.from({ length: 3000 }, (_, i) => track('E', { userId: 'u', properties: { i } }));
    events.splice(1500, 0, events[10]!); // a duplicate in the middle: the first occurrence keeps its place
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events }])), 3000);
    const rows = await outboxOf(db, ws);
    assert.deepEqual(rows.map((r) => r.body.properties?.i), Array.from({ length: 3000 }, (_, i) => i));
  });

  test('IngestWriter: the same batch written concurrently from several writes is stored once', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const writer = new IngestWriter(db);
    const batch = Array.from({ length: 20 }, (_, i) => track('E', { userId: 'u', messageId: `c-${i}` }));
    const results = await Promise.all(Array.from({ length: 8 }, () => writer.write(ws, batch)));
    for (const r of results) assert.deepEqual(r, { stored: 20 }, 'every request is acknowledged');
    assert.equal(await countStoredIds(db, ws), 20);
    assert.equal((await outboxOf(db, ws)).length, 20);
    await writer.drain();
    await assert.rejects(writer.write(ws, batch), (e: { code?: string }) => e.code === 'SHUTTING_DOWN');
    assert.deepEqual(await new IngestWriter(db).write(ws, []), { stored: 0 });
  });

  test('several IngestWriters (several nodes) writing overlapping batches at once: each messageId once, seq gap-free per id', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const writers = [new IngestWriter(db), new IngestWriter(db, 7), new IngestWriter(db, 1)];
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 5; round++) {
      for (const [w, writer] of writers.entries()) {
        const events = Array.from({ length: 10 }, (_, i) => track('E', { userId: `u${w}`, messageId: `o-${(round * 5 + i) % 30}` }));
        writes.push(writer.write(ws, events));
      }
    }
    await Promise.all(writes);
    await Promise.all(writers.map((w) => w.drain()));
    assert.equal(await countStoredIds(db, ws), 30);
    const rows = await outboxOf(db, ws);
    assert.equal(rows.length, 30);
    assert.equal(new Set(rows.map((r) => r.body.messageId)).size, 30);
  });

  test('a request that cannot commit fails alone; the others in its group commit', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const writer = new IngestWriter(db);
    // PostgreSQL text cannot hold a NUL character (the HTTP layer refuses it before; the store is the last line).
    const bad = track('E', { userId: 'u', messageId: 'bad \u0000 inside' });
    const good = [track('E', { userId: 'u', messageId: 'g1' }), track('E', { userId: 'u', messageId: 'g2' })];
    const [r1, r2, r3] = await Promise.allSettled([writer.write(ws, [good[0]!]), writer.write(ws, [bad]), writer.write(ws, [good[1]!])]);
    assert.equal(r1.status, 'fulfilled');
    assert.equal(r3.status, 'fulfilled');
    assert.equal(r2.status, 'rejected');
    assert.equal((r2 as PromiseRejectedResult).reason.code, 'STORE_UNAVAILABLE');
    // Concurrent requests have no order between them (on PostgreSQL two groups may be in flight).
    assert.deepEqual((await outboxOf(db, ws)).map((r) => r.body.messageId).sort(), ['g1', 'g2']);
  });

  test('readOutbox pages by seq; cursors only move forward; trimOutbox waits for every consumer', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const c1 = uid('consumer_');
    const c2 = uid('consumer_');
    // Two outbox blocks: [r-0, r-1] and [r-2, r-3, r-4]; the second page ends inside the second block.
    const evs = Array.from({ length: 5 }, (_, i) => identify({ userId: `u${i}`, messageId: `r-${i}` }));
    await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: evs.slice(0, 2) }]));
    await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: evs.slice(2) }]));
    const mine = await outboxOf(db, ws);
    const start = mine[0]!.seq - 1;

    const page1 = await readOutbox(db, start, 2);
    assert.deepEqual(page1.map((r) => r.body.messageId), ['r-0', 'r-1']);
    assert.equal(page1[0]!.workspaceId, ws);
    const page2 = await readOutbox(db, page1[1]!.seq, 2);
    assert.deepEqual(page2.map((r) => r.body.messageId), ['r-2', 'r-3']);

    assert.equal(await getCursor(db, c1), 0);
    await setCursor(db, c1, page2[1]!.seq);
    assert.equal(await getCursor(db, c1), page2[1]!.seq);
    await setCursor(db, c1, page1[0]!.seq);
    assert.equal(await getCursor(db, c1), page2[1]!.seq, 'a cursor never moves back');
    assert.equal(await outboxBacklog(db, c1) >= 1, true);

    // Only c1 has a cursor: c2 has read nothing, so nothing may be trimmed.
    assert.equal(await trimOutbox(db, [c1, c2]), 0);
    assert.equal((await outboxOf(db, ws)).length, 5);

    await setCursor(db, c2, page1[1]!.seq);
    const trimmed = await trimOutbox(db, [c1, c2]);
    assert.ok(trimmed >= 2, `trimmed ${trimmed}`);
    const left = await outboxOf(db, ws);
    assert.deepEqual(left.map((r) => r.body.messageId), ['r-2', 'r-3', 'r-4'], 'trimmed up to the slowest consumer');
    // A block goes only when every consumer has passed all of it.
    await setCursor(db, c2, page2[0]!.seq);
    assert.equal(await trimOutbox(db, [c1, c2]), 0);
    assert.equal(await outboxBacklog(db, c2), 2, 'the backlog counts events, not blocks');
    assert.deepEqual((await readOutbox(db, page2[0]!.seq, 10)).map((r) => r.body.messageId), ['r-3', 'r-4']);
    assert.equal(await countStoredIds(db, ws), 5, 'messageIds stay after the outbox is trimmed');
    // A trimmed event replayed is still a duplicate.
    assert.equal(await db.tx((q) => insertEvents(q, [{ workspaceId: ws, events: [identify({ userId: 'u0', messageId: 'r-0' })] }])), 0);
  });
});
