import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestWriter } from '../../src/modules/ingest/index.ts';
import type { OpStore } from '../../src/platform/opstore/index.ts';
import { track } from '../helpers/op-events.ts';

/** A store that records each group statement's size and how many run at once; commits after `ms`. */
function fakeStore(ms = 20) {
  const groups: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const db = {
    kind: 'postgres',
    async query(_sql: string, params?: unknown[]) {
      const n = (params![1] as string[]).length;
      groups.push(n);
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return { rows: [{ k: n }], rowCount: 1 };
    },
  } as unknown as OpStore;
  return { db, groups, max: () => maxRunning };
}

const batch = (tag: string, n = 100) => Array.from({ length: n }, (_, i) => track('E', { userId: 'u', messageId: `${tag}-${i}` }));

test('group commit: a second lane opens only when enough events wait; groups grow instead', async () => {
  const s = fakeStore();
  const w = new IngestWriter(s.db, 5000, 3, 400);
  // 3 requests of 100 at once: the first starts the lane, the other 200 events wait for it (< 400).
  await Promise.all([w.write('ws', batch('a')), w.write('ws', batch('b')), w.write('ws', batch('c'))]);
  assert.deepEqual(s.groups, [100, 200]);
  assert.equal(s.max(), 1, 'one lane for a light load');

  // 6 more at once: 500 events queued behind the first lane, so a second lane opens.
  const t = fakeStore();
  const w2 = new IngestWriter(t.db, 5000, 3, 400);
  await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((x) => w2.write('ws', batch(x))));
  assert.equal(t.max(), 2, 'a second lane under load');
  assert.equal(t.groups.reduce((a, b) => a + b, 0), 600);
});

test('busy: from a request’s arrival (expect) and for 500 ms after it, not only while a commit runs', async () => {
  const w = new IngestWriter(fakeStore().db, 5000, 3, 400);
  assert.equal(w.busy, false, 'a new writer is idle');
  // A request announced before its parsing and key lookup: the consumers must yield already.
  w.expect();
  assert.equal(w.busy, true);
  await new Promise((r) => setTimeout(r, 650));
  assert.equal(w.busy, false, 'idle again 500 ms after the last request');
  await w.write('ws', batch('x'));
  assert.equal(w.busy, true, 'still busy right after a commit');
});
