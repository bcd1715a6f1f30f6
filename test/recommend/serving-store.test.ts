import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { DEFAULT_SETTINGS, mergeSettings, recommendStore, sourceBit, type TrackingClaims } from '../../src/modules/recommend/index.ts';

forEachOpStore('recommendation tables', (db) => {
  test('settings: absent = defaults, written whole, changes visible to other nodes', async () => {
    const ws = uid('ws-');
    assert.deepEqual((await recommendStore.readSettings(db(), ws)).settings, DEFAULT_SETTINGS);
    const since = new Date(Date.now() - 1000);
    const s = mergeSettings(DEFAULT_SETTINGS, { placements: { cart: { maxPerBrand: 2 } } });
    await recommendStore.writeSettings(db(), ws, s);
    assert.equal((await recommendStore.readSettings(db(), ws)).settings.placements.cart.maxPerBrand, 2);
    const changed = await recommendStore.settingsChangedSince(db(), since);
    assert.ok(changed.some((c) => c.workspaceId === ws && c.settings.placements.cart.maxPerBrand === 2));
  });

  test('opt-outs: set, read back, listed per workspace, revoked', async () => {
    const ws = uid('ws-');
    await recommendStore.setOptOut(db(), ws, 'u:a', true);
    await recommendStore.setOptOut(db(), ws, 'u:b', true);
    await recommendStore.setOptOut(db(), ws, 'u:b', false);
    assert.equal((await recommendStore.optOutOf(db(), ws, 'u:a')).optOut, true);
    assert.equal((await recommendStore.optOutOf(db(), ws, 'u:b')).optOut, false);
    assert.equal((await recommendStore.optOutOf(db(), ws, 'u:c')).optOut, false);
    assert.deepEqual([...((await recommendStore.optedOut(db())).get(ws) ?? [])], ['u:a']);
  });

  test('secrets: one per workspace, stable', async () => {
    const ws = uid('ws-');
    const a = await recommendStore.tokenSecret(db(), ws);
    assert.equal(a.length, 32);
    assert.deepEqual(await recommendStore.tokenSecret(db(), ws), a);
    assert.notDeepEqual(await recommendStore.tokenSecret(db(), uid('ws-')), a);
  });

  test('feedback: idempotent rows, CTR per placement and model (each source), per version', async () => {
    const ws = uid('ws-');
    const c = (id: string, placement: string, version: string): TrackingClaims => ({
      id, version, placement, user: 'u:1', items: ['p1', 'p2', 'p3'],
      sources: [sourceBit('itemknn') | sourceBit('social'), sourceBit('itemknn'), sourceBit('popular')], personalised: true, at: Date.now(),
    });
    assert.equal(await recommendStore.recordFeedback(db(), ws, c('r1', 'home', 'v1'), 'impression', ['p1', 'p2', 'p3']), 3);
    assert.equal(await recommendStore.recordFeedback(db(), ws, c('r1', 'home', 'v1'), 'impression', ['p1', 'p2', 'p3']), 0);
    assert.equal(await recommendStore.recordFeedback(db(), ws, c('r1', 'home', 'v1'), 'click', ['p1']), 1);
    assert.equal(await recommendStore.recordFeedback(db(), ws, c('r2', 'product', 'v2'), 'impression', ['p3']), 1);
    const rows = await recommendStore.feedbackStats(db(), ws, new Date(Date.now() - 60_000));
    const get = (placement: string, model: string) => rows.find((r) => r.placement === placement && r.model === model);
    assert.deepEqual(get('home', 'all'), { placement: 'home', model: 'all', impressions: 3, clicks: 1, ctr: 0.3333 });
    assert.deepEqual(get('home', 'itemknn'), { placement: 'home', model: 'itemknn', impressions: 2, clicks: 1, ctr: 0.5 });
    assert.deepEqual(get('home', 'social'), { placement: 'home', model: 'social', impressions: 1, clicks: 1, ctr: 1 });
    assert.deepEqual(get('home', 'popular'), { placement: 'home', model: 'popular', impressions: 1, clicks: 0, ctr: 0 });
    assert.deepEqual(get('product', 'all'), { placement: 'product', model: 'all', impressions: 1, clicks: 0, ctr: 0 });
    const v2 = await recommendStore.feedbackStats(db(), ws, new Date(Date.now() - 60_000), 'v2');
    assert.deepEqual(v2.map((r) => `${r.placement}/${r.model}`), ['product/all', 'product/popular']);
  });
});
