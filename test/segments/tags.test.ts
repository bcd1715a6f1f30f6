import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, bearer } from '../helpers/engine.ts';
import { plantedWorld } from './auto-world.ts';

// Manual tags with who / when, rule tags from a saved segment (who = segment:<id>, when = entry),
// GET /api/v1/tags with counts, validation.

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp({ background: false });
  await plantedWorld(t.engine, 5);
});
after(async () => {
  await t.close();
});

function api(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  return t.app.fastify.inject({ method, url, headers: { authorization: bearer() }, ...(payload !== undefined ? { payload: payload as object } : {}) });
}
async function profileOf(userId: string): Promise<string> {
  const r = await t.engine.op.query<{ profile_id: string }>(`select profile_id from identities where workspace_id = 'default' and kind = 'user_id' and value = $1`, [userId]);
  return r.rows[0]!.profile_id;
}

test('manual tags: add (201, then 200 keeping the first who / when), list, remove', async () => {
  const p = await profileOf('big-1');
  const before = Date.now();
  const a = await api('POST', `/api/v1/users/${p}/tags`, { tag: ' VIP 客户 ' });
  assert.equal(a.statusCode, 201, a.body);
  assert.equal(a.json().tag.tag, 'VIP 客户');
  assert.match(a.json().tag.addedBy, /^key:/);
  assert.ok(Date.parse(a.json().tag.addedAt) >= before - 1000);
  const again = await api('POST', `/api/v1/users/${p}/tags`, { tag: 'VIP 客户' });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().tag.addedAt, a.json().tag.addedAt);
  assert.equal((await api('POST', `/api/v1/users/${p}/tags`, { tag: 'wholesale' })).statusCode, 201);
  const list = (await api('GET', `/api/v1/users/${p}/tags`)).json();
  assert.equal(list.profileId, p);
  assert.deepEqual(list.tags.map((x: { tag: string; source: string }) => [x.tag, x.source]), [['VIP 客户', 'manual'], ['wholesale', 'manual']]);
  const del = await api('DELETE', `/api/v1/users/${p}/tags/${encodeURIComponent('VIP 客户')}`);
  assert.equal(del.statusCode, 204);
  assert.equal((await api('DELETE', `/api/v1/users/${p}/tags/${encodeURIComponent('VIP 客户')}`)).statusCode, 404);
  assert.equal((await api('DELETE', `/api/v1/users/${p}/tags`, { tag: 'wholesale' })).statusCode, 204);
  assert.deepEqual((await api('GET', `/api/v1/users/${p}/tags`)).json().tags, []);
});

test('rule tags: members of the segment carry it, with who = segment:<id> and when = entry time; counts', async () => {
  const seg = await api('POST', '/api/v1/segments', { name: 'lapsed', rule: { trait: 'daysSinceLastOrder', op: 'gte', value: 180 } });
  assert.equal(seg.statusCode, 201, seg.body);
  const segId = seg.json().id as string;
  const rule = await api('POST', '/api/v1/tags/rules', { tag: 'win-back', segmentId: segId });
  assert.equal(rule.statusCode, 201, rule.body);
  assert.equal(rule.json().segmentId, segId);
  assert.equal((await api('POST', '/api/v1/tags/rules', { tag: 'win-back', segmentId: segId })).json().error.code, 'CONFLICT');

  const lapsed = await profileOf('lapsed-2');
  const tags = (await api('GET', `/api/v1/users/${lapsed}/tags`)).json().tags;
  assert.equal(tags.length, 1);
  assert.equal(tags[0].tag, 'win-back');
  assert.equal(tags[0].source, 'segment');
  assert.equal(tags[0].addedBy, `segment:${segId}`);
  const members = (await api('GET', `/api/v1/segments/${segId}/members?limit=100`)).json().members as Array<{ profileId: string; since: string }>;
  assert.equal(tags[0].addedAt, members.find((m) => m.profileId === lapsed)!.since);
  assert.deepEqual((await api('GET', `/api/v1/users/${await profileOf('big-2')}/tags`)).json().tags, []);
  // A rule tag is not removed by hand.
  const rm = await api('DELETE', `/api/v1/users/${lapsed}/tags/win-back`);
  assert.equal(rm.statusCode, 404);
  assert.match(rm.json().error.message, /comes from segment/);

  await api('POST', `/api/v1/users/${await profileOf('big-0')}/tags`, { tag: 'vip' });
  await api('POST', `/api/v1/users/${await profileOf('big-3')}/tags`, { tag: 'vip' });
  const counts = (await api('GET', '/api/v1/tags')).json().tags;
  assert.deepEqual(counts, [
    { tag: 'vip', manual: 2, rule: null },
    { tag: 'win-back', manual: 0, rule: { segmentId: segId, members: 5 } },
  ]);
  assert.deepEqual((await api('GET', '/api/v1/tags/rules')).json().rules.map((r: { tag: string }) => r.tag), ['win-back']);
  assert.equal((await api('DELETE', '/api/v1/tags/rules/win-back')).statusCode, 204);
  assert.equal((await api('DELETE', '/api/v1/tags/rules/win-back')).statusCode, 404);
  assert.deepEqual((await api('GET', `/api/v1/users/${lapsed}/tags`)).json().tags, []);
});

test('bad input gets a coded 4xx naming the field', async () => {
  const p = await profileOf('coupon-1');
  const bad = async (method: 'POST' | 'DELETE', url: string, body: unknown, path: string, status = 400, code = 'VALIDATION_FAILED') => {
    const r = await api(method, url, body);
    assert.equal(r.statusCode, status, r.body);
    assert.equal(r.json().error.code, code);
    if (path) assert.ok(r.json().error.details.some((d: { path: string }) => d.path === path), r.body);
  };
  await bad('POST', `/api/v1/users/${p}/tags`, {}, 'body.tag');
  await bad('POST', `/api/v1/users/${p}/tags`, { tag: '' }, 'body.tag');
  await bad('POST', `/api/v1/users/${p}/tags`, { tag: '=cmd' }, 'body.tag');
  await bad('POST', `/api/v1/users/${p}/tags`, { tag: 'x'.repeat(65) }, 'body.tag');
  await bad('POST', `/api/v1/users/${p}/tags`, { tag: 7 }, 'body.tag');
  await bad('POST', `/api/v1/users/${p}/tags`, { tag: 'ok', extra: 1 }, 'body');
  await bad('POST', '/api/v1/users/nobody/tags', { tag: 'ok' }, '', 404, 'NOT_FOUND');
  await bad('POST', '/api/v1/tags/rules', { tag: 'x', segmentId: 'seg_nope' }, 'body.segmentId', 404, 'NOT_FOUND');
  await bad('POST', '/api/v1/tags/rules', { tag: 'x' }, 'body.segmentId');
  const noAuth = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/tags' });
  assert.equal(noAuth.statusCode, 401);
});

test('manual tags follow a merge (shown with viaProfileId) and go back with an un-merge', async () => {
  const { ingestMessages } = await import('../../src/flows/ingest-messages.ts');
  const { projectBatch } = await import('../../src/flows/project-events.ts');
  const project = async () => {
    while ((await projectBatch(t.engine.op)) > 0);
  };
  await ingestMessages(t.engine, 'default', [{ type: 'page', anonymousId: 'device-77', messageId: 'dev-77-page', timestamp: new Date().toISOString(), properties: {} }]);
  await project();
  const anon = (await t.engine.op.query<{ profile_id: string }>(`select profile_id from identities where workspace_id = 'default' and kind = 'anonymous_id' and value = 'device-77'`)).rows[0]!.profile_id;
  assert.equal((await api('POST', `/api/v1/users/${anon}/tags`, { tag: 'came from ad' })).statusCode, 201);
  const known = await profileOf('big-4');
  await ingestMessages(t.engine, 'default', [{ type: 'identify', userId: 'big-4', anonymousId: 'device-77', messageId: 'dev-77-identify', timestamp: new Date().toISOString(), traits: {} }]);
  await project();
  const merged = (await api('GET', `/api/v1/users/${known}/tags`)).json();
  assert.equal(merged.profileId, known);
  assert.deepEqual(merged.tags.map((x: { tag: string; viaProfileId?: string }) => [x.tag, x.viaProfileId]), [['came from ad', anon]]);
  // The merged-away id answers for the person.
  assert.equal((await api('GET', `/api/v1/users/${anon}/tags`)).json().profileId, known);
  const m = await t.engine.op.query<{ id: string }>(`select id from identity_merges where workspace_id = 'default' and from_profile = $1`, [anon]);
  assert.equal((await api('POST', `/api/v1/identity/merges/${m.rows[0]!.id}/undo`)).statusCode, 200);
  assert.deepEqual((await api('GET', `/api/v1/users/${known}/tags`)).json().tags, []);
  assert.deepEqual((await api('GET', `/api/v1/users/${anon}/tags`)).json().tags.map((x: { tag: string }) => x.tag), ['came from ad']);
});
