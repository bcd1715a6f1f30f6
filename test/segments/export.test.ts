import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, bearer } from '../helpers/engine.ts';
import { plantedWorld } from './auto-world.ts';
import { EXPORT_PAGE } from '../../src/flows/segments-export.ts';

// GET /api/v1/segments/:id/export.csv: BOM, header, every member once, chosen traits, and user ids
// crafted as spreadsheet formulas written as inert text.

const EVIL = ['=HYPERLINK("http://evil.example","click")', '+86-138-0000', '-2+3', '@SUM(A1:A9)', '\tcmd', "=cmd|' /C calc'!A0", '张三,李四'];
let t: Awaited<ReturnType<typeof startTestApp>>;
let segId: string;
before(async () => {
  t = await startTestApp({ background: false });
  const extra = EVIL.map((u, i) => ({ type: 'track', event: 'Order Completed', userId: u, messageId: `evil-${i}`, timestamp: '2026-03-30T10:00:00Z', properties: { order_id: `evil-${i}`, total: 9000 } }));
  await plantedWorld(t.engine, 10, extra);
  const r = await api('POST', '/api/v1/segments', { name: 'buyers', rule: { trait: 'orders', op: 'gte', value: 1 } });
  assert.equal(r.statusCode, 201, r.body);
  segId = r.json().id;
});
after(async () => {
  await t.close();
});

function api(method: 'GET' | 'POST', url: string, payload?: unknown) {
  return t.app.fastify.inject({ method, url, headers: { authorization: bearer() }, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

/** A small RFC 4180 reader (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += ch;
  }
  return rows;
}

test('the export is UTF-8 with a BOM, one row per member, chosen traits by API name', async () => {
  const r = await api('GET', `/api/v1/segments/${segId}/export.csv?traits=orders,gmv,lifecycleStage,lastOrderAt,events30d`);
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers['content-type']), /^text\/csv; charset=utf-8/);
  assert.match(String(r.headers['content-disposition']), /attachment; filename="segment-seg_/);
  assert.equal(r.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf');
  const rows = parseCsv(r.rawPayload.subarray(3).toString('utf8'));
  assert.deepEqual(rows[0], ['profileId', 'userId', 'orders', 'gmv', 'lifecycleStage', 'lastOrderAt', 'events30d']);
  const body = rows.slice(1);
  assert.equal(body.length, 30 + EVIL.length); // buyers only: the visitors have no order
  assert.equal(new Set(body.map((x) => x[0])).size, body.length);
  const big = body.find((x) => x[1] === 'big-0')!;
  assert.equal(big[2], '6');
  assert.match(big[5]!, /^2026-0[23]-\d\dT10:00:00.000Z$/);
  const members = (await api('GET', `/api/v1/segments/${segId}/members?limit=1000`)).json().members.map((m: { profileId: string }) => m.profileId);
  assert.deepEqual(body.map((x) => x[0]), members);
});

test('user ids crafted as formulas come out as inert text (leading quote); others unchanged', async () => {
  const r = await api('GET', `/api/v1/segments/${segId}/export.csv?traits=`);
  const rows = parseCsv(r.rawPayload.subarray(3).toString('utf8'));
  assert.deepEqual(rows[0], ['profileId', 'userId']);
  const ids = new Set(rows.slice(1).map((x) => x[1]));
  for (const u of EVIL) {
    const want = /^[=+\-@\t\r]/.test(u) ? "'" + u : u;
    assert.ok(ids.has(want), `${JSON.stringify(u)} exported as ${JSON.stringify(want)}`);
  }
  for (const row of rows.slice(1)) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
  // The raw text never starts a cell with a formula character either.
  assert.doesNotMatch(r.rawPayload.toString('utf8'), /(^|,|\r\n)[=+\-@\t]/);
});

test('bad requests: unknown segment 404, unknown trait 400 naming it, no key 401', async () => {
  const nf = await api('GET', '/api/v1/segments/seg_nope/export.csv');
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.code, 'NOT_FOUND');
  const bad = await api('GET', `/api/v1/segments/${segId}/export.csv?traits=orders,shoeSize`);
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
  assert.deepEqual(bad.json().error.details.map((d: { path: string }) => d.path), ['query.traits.1']);
  const json = await api('GET', `/api/v1/segments/${segId}/export.csv?traits=topCategories`);
  assert.equal(json.statusCode, 400);
  const noAuth = await t.app.fastify.inject({ method: 'GET', url: `/api/v1/segments/${segId}/export.csv` });
  assert.equal(noAuth.statusCode, 401);
  assert.ok(EXPORT_PAGE >= 1000);
});
