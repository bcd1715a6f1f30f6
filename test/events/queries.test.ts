import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEventStoreDb, type EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { appendEvents, migrateEventStore, eventStoreSchemaVersion, eventQueries, type LoggedEvent } from '../../src/modules/events/index.ts';

// Reference implementations in plain JS, checked against the SQL (which is shaped for speed: one
// scan per identifier for timelines, integer UTC days for per-day series, a rollup for whole days
// of daily active users).

let es: EventStoreDb;
const events: LoggedEvent[] = [];
before(async () => {
  es = await openEventStoreDb(undefined);
  await migrateEventStore(es);
  let seq = 0;
  let s = 7;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const base = Date.parse('2026-03-01T00:00:00.000Z');
  const push = (ws: string, userId: string | undefined, anonymousId: string | undefined, ms: number) => {
    const timestamp = new Date(ms).toISOString();
    events.push({ seq: ++seq, workspaceId: ws, body: { type: 'track', event: 'Product Viewed', messageId: `m${seq}`, userId, anonymousId, timestamp, receivedAt: timestamp } });
  };
  for (let i = 0; i < 3000; i++) {
    const u = rnd(4) === 0 ? undefined : `u${rnd(12)}`;
    const a = rnd(3) === 0 ? undefined : `a${rnd(15)}`;
    if (!u && !a) continue;
    // Timestamps cluster on day boundaries and repeat, so ordering ties are broken by seq.
    const day = rnd(10) - 1;
    const ms = base + day * 86_400_000 + [0, 1, -1, 43_200_000, 86_399_999][rnd(5)]!;
    push(rnd(10) === 0 ? 'other' : 'w', u, a, ms);
  }
  push('w', 'u-old', undefined, Date.parse('1969-12-31T23:59:59.000Z')); // before the epoch: floor, not truncation
  push('w', 'u-old', undefined, Date.parse('1970-01-01T00:00:00.000Z'));
  // Several appends, as the pump does: the rollup then holds the same (day, actor) more than once.
  for (let i = 0; i < events.length; i += 700) await appendEvents(es, events.slice(i, i + 700));
});
after(async () => {
  await es.close();
});

function refTimeline(ws: string, users: string[], anons: string[], limit: number): number[] {
  return events
    .filter((e) => e.workspaceId === ws && ((e.body.userId !== undefined && users.includes(e.body.userId)) || (e.body.anonymousId !== undefined && anons.includes(e.body.anonymousId))))
    .sort((x, y) => Date.parse(y.body.timestamp) - Date.parse(x.body.timestamp) || y.seq - x.seq)
    .slice(0, limit)
    .map((e) => e.seq);
}

test('timeline returns exactly the rows matching any of the userIds or anonymousIds, newest first', async () => {
  const cases: Array<[string[], string[], number]> = [
    [['u1'], [], 200],
    [[], ['a3'], 200],
    [['u1'], ['a1'], 200],
    [['u1', 'u2'], ['a1', 'a2', 'a3'], 50],
    [['u1', 'u1'], ['a1', 'a1'], 200], // duplicates in the input
    [['u1', 'u2', 'u3', 'u4', 'u5'], ['a1', 'a2', 'a3', 'a4', 'a5'], 120], // > 8 identifiers: the single-scan path
    [['u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10', 'u11'], [], 1000],
    [['nobody'], ['nothing'], 200],
    [['u1'], ['a1'], 1],
  ];
  for (const [users, anons, limit] of cases) {
    const got = (await eventQueries.timeline(es, 'w', users, anons, limit)).map((r) => r.seq);
    assert.deepEqual(got, refTimeline('w', users, anons, limit), `timeline(${JSON.stringify(users)}, ${JSON.stringify(anons)}, ${limit})`);
  }
  assert.deepEqual(await eventQueries.timeline(es, 'w', [], [], 200), []);
});

function refDaily(from: Date, to: Date) {
  const actors = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const e of events) {
    const at = Date.parse(e.body.timestamp);
    if (e.workspaceId !== 'w' || at < from.getTime() || at >= to.getTime()) continue;
    const day = e.body.timestamp.slice(0, 10);
    actors.set(day, (actors.get(day) ?? new Set()).add(e.body.userId ?? `anon:${e.body.anonymousId}`));
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  const days = [...actors.keys()].sort();
  return { dau: days.map((d) => ({ day: d, users: actors.get(d)!.size })), perDay: days.map((d) => ({ day: d, events: counts.get(d)! })) };
}

const WINDOWS: Array<[string, string]> = [
  ['1960-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z'], // everything, including before 1970
  ['2026-03-01T00:00:00.000Z', '2026-03-05T00:00:00.000Z'], // whole days only
  ['2026-02-28T12:00:00.000Z', '2026-03-04T12:00:00.001Z'], // partial days at both ends
  ['2026-03-02T00:00:00.001Z', '2026-03-02T23:59:59.999Z'], // inside one day
  ['2026-03-02T12:00:00.000Z', '2026-03-03T12:00:00.000Z'], // two partial days, no whole one
  ['2026-03-03T00:00:00.000Z', '2026-03-03T00:00:00.000Z'], // empty
];

test('daily active users and events per day use UTC days, for whole and partial days', async () => {
  for (const [a, b] of WINDOWS) {
    const from = new Date(a);
    const to = new Date(b);
    const ref = refDaily(from, to);
    assert.deepEqual(await eventQueries.dailyActiveUsers(es, 'w', from, to), ref.dau, `dailyActiveUsers ${a} .. ${b}`);
    assert.deepEqual(await eventQueries.eventsPerDay(es, 'w', from, to), ref.perDay, `eventsPerDay ${a} .. ${b}`);
  }
  assert.ok(refDaily(new Date(WINDOWS[0]![0]), new Date(WINDOWS[0]![1])).dau.some((d) => d.day === '1969-12-31'));
});

test('the daily-actors rollup is rebuilt from the events when its migration runs on an existing store', async () => {
  // The rollup is event-store migration 3: step back to 2; the later migrations (4 influence, 5
  // segments) are idempotent and run again.
  const version = await eventStoreSchemaVersion(es);
  const ROLLUP = 3;
  const from = new Date('2026-02-20T00:00:00.000Z');
  const to = new Date('2026-03-20T00:00:00.000Z');
  const before = await eventQueries.dailyActiveUsers(es, 'w', from, to);
  await es.write(async (c) => {
    await c.run('drop table daily_actors');
    await c.run(`update es_meta set value = $1 where key = 'schema_version'`, [String(ROLLUP - 1)]);
  });
  assert.deepEqual(await migrateEventStore(es), Array.from({ length: version - ROLLUP + 1 }, (_, i) => ROLLUP + i));
  assert.deepEqual(await eventQueries.dailyActiveUsers(es, 'w', from, to), before);
  assert.deepEqual(before, refDaily(from, to).dau);
});
