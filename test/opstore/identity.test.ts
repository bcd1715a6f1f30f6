import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { alias, identify, page, track } from '../helpers/op-events.ts';
import {
  getProfile, MergeRulesSchema, profileByIdentity, profileKeys, resolveEvents, searchProfiles, unmerge, type IdentityEvent, type MergeRules,
} from '../../src/modules/identity/index.ts';
import type { OpStore } from '../../src/platform/opstore/index.ts';

forEachOpStore('opstore identity graph', (getDb) => {
  const resolve = (ws: string, events: IdentityEvent[], rules?: MergeRules) => getDb().tx((q) => resolveEvents(q, ws, events, rules));
  const who = (ws: string, kind: string, value: string) => profileByIdentity(getDb(), ws, kind, value);
  const merges = async (ws: string) =>
    (await getDb().query<{ id: number; from_profile: string; into_profile: string; cause: string; message_id: string | null; undone_at: Date | null }>(
      'select id, from_profile, into_profile, cause, message_id, undone_at from identity_merges where workspace_id = $1 order by id', [ws])).rows;
  const traitsOf = async (profileId: string) => {
    const p = await getProfile(getDb(), await wsOf(getDb(), profileId), profileId);
    return Object.fromEntries(p!.traits.map((t) => [t.key, t.value]));
  };
  /** The graph invariant the unique rule protects: no profile holds two userIds. */
  const assertOneUserIdPerProfile = async (ws: string) => {
    const r = await getDb().query<{ profile_id: string; n: number }>(
      `select profile_id, count(*) as n from identities where workspace_id = $1 and kind = 'user_id' group by profile_id having count(*) > 1`, [ws]);
    assert.deepEqual(r.rows, [], 'no profile has two userIds');
  };

  test('anonymous -> known on identify: the anonymous history belongs to the user', async () => {
    const ws = uid('ws_');
    const view = track('Product Viewed', { anonymousId: 'a1', at: 1 });
    const cart = track('Product Added', { anonymousId: 'a1', at: 2 });
    const idf = identify({ userId: 'u1', anonymousId: 'a1', traits: { name: 'Li Lei' }, at: 3 });
    const m1 = await resolve(ws, [view, cart]);
    const anonProfile = m1.get(view.messageId)!;
    assert.equal(m1.get(cart.messageId), anonProfile);
    const m2 = await resolve(ws, [idf]);
    assert.equal(m2.get(idf.messageId), anonProfile, 'identify lands on the profile the anonymous events built');
    assert.equal(await who(ws, 'user_id', 'u1'), anonProfile);
    assert.deepEqual(await profileKeys(getDb(), anonProfile), { userIds: ['u1'], anonymousIds: ['a1'] });
    assert.deepEqual(await merges(ws), [], 'attaching a new userId is not a merge');
    // A later event for the anonymousId alone resolves to the same (now known) person.
    const late = track('Page Viewed', { anonymousId: 'a1', at: 4 });
    assert.equal((await resolve(ws, [late])).get(late.messageId), anonProfile);
  });

  test('identify joins a known user and a separate anonymous profile: a merge with its cause; late events follow it', async () => {
    const ws = uid('ws_');
    const loginA = identify({ userId: 'u2', anonymousId: 'devA', at: 1 });
    const browseB = track('Product Viewed', { anonymousId: 'devB', at: 2 });
    await resolve(ws, [loginA]);
    await resolve(ws, [browseB]);
    const pUser = (await who(ws, 'user_id', 'u2'))!;
    const pAnon = (await who(ws, 'anonymous_id', 'devB'))!;
    assert.notEqual(pUser, pAnon);

    const loginB = identify({ userId: 'u2', anonymousId: 'devB', at: 3 });
    const out = await resolve(ws, [loginB]);
    assert.equal(out.get(loginB.messageId), pUser, 'the older profile survives');
    assert.equal(await who(ws, 'anonymous_id', 'devB'), pUser);
    const ms = await merges(ws);
    assert.equal(ms.length, 1);
    assert.deepEqual(
      { from: ms[0]!.from_profile, into: ms[0]!.into_profile, cause: ms[0]!.cause, messageId: ms[0]!.message_id, undone: ms[0]!.undone_at },
      { from: pAnon, into: pUser, cause: 'identify u2 with anonymousId devB', messageId: loginB.messageId, undone: null },
    );
    const merged = await getDb().query<{ merged_into: string }>('select merged_into from profiles where id = $1', [pAnon]);
    assert.equal(merged.rows[0]!.merged_into, pUser);
    // The merged-away id answers with the canonical profile.
    const view = (await getProfile(getDb(), ws, pAnon))!;
    assert.equal(view.profileId, pUser);
    assert.deepEqual(view.identities.map((i) => `${i.kind}:${i.value}`).sort(), ['anonymous_id:devA', 'anonymous_id:devB', 'user_id:u2']);
    assert.equal(view.merges.length, 1);
    assert.equal(view.merges[0]!.cause, 'identify u2 with anonymousId devB');

    // A late event for the old anonymousId (timestamped before the merge, delivered after it).
    const late = track('Product Viewed', { anonymousId: 'devB', at: 2.5 });
    assert.equal((await resolve(ws, [late])).get(late.messageId), pUser);
    assert.deepEqual((await profileKeys(getDb(), pUser)).anonymousIds.sort(), ['devA', 'devB']);
  });

  test('the same story inside one batch resolves the same way (the per-batch cache follows merges)', async () => {
    const ws = uid('ws_');
    const evs = [
      identify({ userId: 'u3', anonymousId: 'x1', at: 1 }),
      track('Product Viewed', { anonymousId: 'x2', at: 2 }),
      identify({ userId: 'u3', anonymousId: 'x2', at: 3 }),
      track('Product Viewed', { anonymousId: 'x2', at: 2.5 }),
      track('Checkout Started', { userId: 'u3', at: 4 }),
    ];
    const out = await resolve(ws, evs);
    const p = (await who(ws, 'user_id', 'u3'))!;
    assert.deepEqual(evs.map((e) => out.get(e.messageId)), [p, out.get(evs[1]!.messageId), p, p, p]);
    assert.equal(await who(ws, 'anonymous_id', 'x2'), p);
    assert.equal((await merges(ws)).length, 1);
  });

  test('alias merges previousId into userId; an unknown previousId is attached', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u4', anonymousId: 'c1', at: 1 })]);
    await resolve(ws, [track('Product Viewed', { anonymousId: 'c2', at: 2 })]);
    const pUser = (await who(ws, 'user_id', 'u4'))!;
    const pAnon = (await who(ws, 'anonymous_id', 'c2'))!;
    const a = alias('c2', 'u4', { at: 3 });
    const out = await resolve(ws, [a]);
    assert.equal(out.get(a.messageId), pUser);
    assert.equal(await who(ws, 'anonymous_id', 'c2'), pUser);
    const ms = await merges(ws);
    assert.equal(ms.length, 1);
    assert.equal(ms[0]!.cause, 'alias c2 -> u4');
    assert.equal(ms[0]!.from_profile, pAnon);
    assert.equal(ms[0]!.message_id, a.messageId);

    await resolve(ws, [alias('never-seen', 'u4', { at: 4 })]);
    assert.equal(await who(ws, 'anonymous_id', 'never-seen'), pUser);
    // Aliasing an unknown userId to a known anonymousId attaches the userId.
    await resolve(ws, [track('E', { anonymousId: 'c3', at: 5 })]);
    await resolve(ws, [alias('c3', 'u5', { at: 6 })]);
    assert.equal(await who(ws, 'user_id', 'u5'), await who(ws, 'anonymous_id', 'c3'));
    await assertOneUserIdPerProfile(ws);
  });

  test('merging on a shared email: from identify traits and from context.traits (normalised)', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u6', traits: { email: 'Mei@Example.com' }, at: 1 })]);
    const pUser = (await who(ws, 'user_id', 'u6'))!;
    assert.equal(await who(ws, 'email', 'mei@example.com'), pUser, 'stored lower-case');

    // From identify traits: an anonymous visitor later gives the same email.
    await resolve(ws, [track('Product Viewed', { anonymousId: 'd1', at: 2 })]);
    const pD1 = (await who(ws, 'anonymous_id', 'd1'))!;
    await resolve(ws, [identify({ anonymousId: 'd1', traits: { email: ' MEI@example.com ' }, at: 3 })]);
    assert.equal(await who(ws, 'anonymous_id', 'd1'), pUser);
    // From context.traits on a track call.
    await resolve(ws, [track('Product Viewed', { anonymousId: 'd2', at: 4 })]);
    const pD2 = (await who(ws, 'anonymous_id', 'd2'))!;
    await resolve(ws, [track('Checkout Started', { anonymousId: 'd2', context: { traits: { email: 'mei@example.com' } }, at: 5 })]);
    assert.equal(await who(ws, 'anonymous_id', 'd2'), pUser);

    const ms = await merges(ws);
    assert.deepEqual(ms.map((m) => [m.from_profile, m.into_profile]), [[pD1, pUser], [pD2, pUser]]);
    assert.match(ms[0]!.cause, /^identify .*anonymousId d1$/);
    assert.equal(ms[1]!.cause, 'track carrying anonymousId + context.traits');
    // Traits on a track call are not identifiers (only identify traits and context.traits are).
    await resolve(ws, [track('E', { anonymousId: 'd3', traits: { email: 'mei@example.com' }, at: 6 })]);
    assert.notEqual(await who(ws, 'anonymous_id', 'd3'), pUser);
  });

  test('merging on a shared phone (mainland +86 normalised) and WeChat unionid', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u7', traits: { phone: '138 0013 8000', wechat: { unionid: 'UN-7', openid: 'op-7' } }, at: 1 })]);
    const p = (await who(ws, 'user_id', 'u7'))!;
    assert.equal(await who(ws, 'phone', '13800138000'), p);
    assert.equal(await who(ws, 'wechat_unionid', 'UN-7'), p);
    assert.equal(await who(ws, 'wechat_openid', 'op-7'), p);

    await resolve(ws, [page({ anonymousId: 'e1', at: 2 }), page({ anonymousId: 'e2', at: 2 }), page({ anonymousId: 'e3', at: 2 })]);
    const [pe1, pe2, pe3] = [(await who(ws, 'anonymous_id', 'e1'))!, (await who(ws, 'anonymous_id', 'e2'))!, (await who(ws, 'anonymous_id', 'e3'))!];
    assert.equal(new Set([p, pe1, pe2, pe3]).size, 4);
    await resolve(ws, [
      track('Order Completed', { anonymousId: 'e1', context: { traits: { phone: '+86 138-0013-8000' } }, at: 3 }),
      identify({ anonymousId: 'e2', traits: { wechat_unionid: 'UN-7' }, at: 3 }),
      track('Product Viewed', { anonymousId: 'e3', context: { traits: { wechat: { unionid: 'UN-7' } } }, at: 3 }),
    ]);
    for (const a of ['e1', 'e2', 'e3']) assert.equal(await who(ws, 'anonymous_id', a), p, `${a} merged`);
    const ms = await merges(ws);
    assert.deepEqual(ms.map((m) => m.from_profile), [pe1, pe2, pe3]);
    assert.ok(ms.every((m) => m.into_profile === p && m.cause.length > 0 && m.message_id));
  });

  test('merge rules: a kind left out of mergeOn does not join profiles', async () => {
    const ws = uid('ws_');
    const rules = MergeRulesSchema.parse({ mergeOn: ['user_id', 'anonymous_id'] });
    await resolve(ws, [identify({ userId: 'u8', traits: { email: 'x@y.cn' }, at: 1 })], rules);
    await resolve(ws, [track('E', { anonymousId: 'f1', at: 2 })], rules);
    await resolve(ws, [track('E', { anonymousId: 'f1', context: { traits: { email: 'x@y.cn' } }, at: 3 })], rules);
    assert.notEqual(await who(ws, 'anonymous_id', 'f1'), await who(ws, 'user_id', 'u8'));
    assert.deepEqual(await merges(ws), []);
  });

  test("unique: ['user_id'] never gives one profile two userIds", async () => {
    const ws = uid('ws_');
    // A shared device: a second user identifies on an anonymousId that already belongs to someone.
    await resolve(ws, [identify({ userId: 'u9', anonymousId: 'g1', at: 1 })]);
    const second = identify({ userId: 'u10', anonymousId: 'g1', at: 2 });
    const out = await resolve(ws, [second]);
    const p9 = (await who(ws, 'user_id', 'u9'))!;
    const p10 = (await who(ws, 'user_id', 'u10'))!;
    assert.notEqual(p9, p10);
    assert.equal(out.get(second.messageId), p10, 'the event belongs to the userId it carries');
    assert.equal(await who(ws, 'anonymous_id', 'g1'), p9);

    // Two known users joined by an event: the merge is refused.
    await resolve(ws, [identify({ userId: 'u11', anonymousId: 'h1', at: 3 }), identify({ userId: 'u12', anonymousId: 'h2', at: 3 })]);
    const [p11, p12] = [(await who(ws, 'user_id', 'u11'))!, (await who(ws, 'user_id', 'u12'))!];
    await resolve(ws, [identify({ userId: 'u11', anonymousId: 'h2', at: 4 })]);
    await resolve(ws, [alias('u11', 'u12', { at: 5 })]);
    assert.equal(await who(ws, 'anonymous_id', 'h2'), p12);
    assert.equal(await who(ws, 'user_id', 'u11'), p11);

    // A shared email between two users does not join them either.
    await resolve(ws, [identify({ userId: 'u13', traits: { email: 'family@home.cn' }, at: 6 })]);
    await resolve(ws, [identify({ userId: 'u14', traits: { email: 'family@home.cn' }, at: 7 })]);
    assert.notEqual(await who(ws, 'user_id', 'u13'), await who(ws, 'user_id', 'u14'));

    assert.deepEqual(await merges(ws), [], 'no merge happened');
    await assertOneUserIdPerProfile(ws);
  });

  test('unmerge restores identities and traits on both sides, and the pair does not merge again', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u15', anonymousId: 'i1', traits: { name: 'Old', city: 'Shanghai' }, at: 1 })]);
    await resolve(ws, [identify({ anonymousId: 'i2', traits: { name: 'New', age: 30 }, at: 2 })]);
    const pU = (await who(ws, 'user_id', 'u15'))!;
    const pA = (await who(ws, 'anonymous_id', 'i2'))!;
    await resolve(ws, [identify({ userId: 'u15', anonymousId: 'i2', at: 3 })]);
    assert.equal(await who(ws, 'anonymous_id', 'i2'), pU);
    assert.deepEqual(await traitsOf(pU), { name: 'New', city: 'Shanghai', age: 30 }, 'the newer value wins in a merge');
    const [m] = await merges(ws);

    const undone = await getDb().tx((q) => unmerge(q, ws, m!.id));
    assert.deepEqual(undone, { from: pA, into: pU });
    assert.equal(await who(ws, 'anonymous_id', 'i2'), pA);
    assert.equal(await who(ws, 'anonymous_id', 'i1'), pU);
    assert.deepEqual(await profileKeys(getDb(), pU), { userIds: ['u15'], anonymousIds: ['i1'] });
    assert.deepEqual(await profileKeys(getDb(), pA), { userIds: [], anonymousIds: ['i2'] });
    assert.deepEqual(await traitsOf(pU), { name: 'Old', city: 'Shanghai' });
    assert.deepEqual(await traitsOf(pA), { name: 'New', age: 30 });
    assert.equal((await getProfile(getDb(), ws, pA))!.profileId, pA, 'no longer redirected');
    const after = await merges(ws);
    assert.ok(after[0]!.undone_at instanceof Date);

    // The same evidence again does not re-merge the pair; the event still resolves to its userId.
    const again = identify({ userId: 'u15', anonymousId: 'i2', at: 4 });
    assert.equal((await resolve(ws, [again])).get(again.messageId), pU);
    assert.equal(await who(ws, 'anonymous_id', 'i2'), pA);
    assert.equal((await merges(ws)).length, 1);
    // Undoing twice does nothing; an unknown merge or another workspace's merge is null.
    assert.equal(await getDb().tx((q) => unmerge(q, ws, m!.id)), null);
    assert.equal(await getDb().tx((q) => unmerge(q, 'other-ws', m!.id)), null);
    assert.equal(await getDb().tx((q) => unmerge(q, ws, 987654321)), null);
  });

  test('unmerge keeps traits the surviving user set after the merge', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u20', anonymousId: 'k1', traits: { name: 'Old' }, at: 1 })]);
    await resolve(ws, [identify({ anonymousId: 'k2', traits: { name: 'Guest', city: 'Chengdu' }, at: 2 })]);
    const pU = (await who(ws, 'user_id', 'u20'))!;
    const pA = (await who(ws, 'anonymous_id', 'k2'))!;
    await resolve(ws, [identify({ userId: 'u20', anonymousId: 'k2', at: 3 })]);
    await resolve(ws, [identify({ userId: 'u20', traits: { name: 'Newest', city: 'Beijing' }, at: 4 })]);
    assert.deepEqual(await traitsOf(pU), { name: 'Newest', city: 'Beijing' });
    const [m] = await merges(ws);
    await getDb().tx((q) => unmerge(q, ws, m!.id));
    assert.deepEqual(await traitsOf(pU), { name: 'Newest', city: 'Beijing' }, "the user's own later identify is not undone");
    assert.deepEqual(await traitsOf(pA), { name: 'Guest', city: 'Chengdu' });
  });

  test('traits keep their newest value: a late identify with an older timestamp does not overwrite', async () => {
    const ws = uid('ws_');
    await resolve(ws, [identify({ userId: 'u16', traits: { plan: 'gold', name: 'Han' }, at: 10 })]);
    const p = (await who(ws, 'user_id', 'u16'))!;
    await resolve(ws, [identify({ userId: 'u16', traits: { plan: 'silver', city: 'Hangzhou' }, at: 5 })]);
    assert.deepEqual(await traitsOf(p), { plan: 'gold', name: 'Han', city: 'Hangzhou' }, 'older value ignored; a new key is still learned');
    await resolve(ws, [identify({ userId: 'u16', traits: { plan: 'platinum', tags: ['vip', '会员'] }, at: 20 })]);
    const view = (await getProfile(getDb(), ws, p))!;
    const plan = view.traits.find((t) => t.key === 'plan')!;
    assert.deepEqual([plan.value, plan.updatedAt], ['platinum', new Date(Date.UTC(2024, 0, 1, 8, 20)).toISOString()]);
    assert.deepEqual(view.traits.find((t) => t.key === 'tags')!.value, ['vip', '会员']);
    // Within one batch, too: the newest timestamp wins whatever the order.
    await resolve(ws, [identify({ userId: 'u16', traits: { plan: 'diamond' }, at: 30 }), identify({ userId: 'u16', traits: { plan: 'bronze' }, at: 25 })]);
    assert.equal((await traitsOf(p)).plan, 'diamond');
  });

  test('getProfile, searchProfiles and profileKeys', async () => {
    const ws = uid('ws_');
    await resolve(ws, [
      identify({ userId: 'zhang-1', anonymousId: 'anon-z', traits: { name: 'Zhang Wei', email: 'zw@shop.cn' }, at: 1 }),
      identify({ userId: 'zhang-2', traits: { name: 'Zhang Min' }, at: 2 }),
      identify({ userId: 'li_3', traits: { name: 'Li 100%' }, at: 3 }),
    ]);
    const p1 = (await who(ws, 'user_id', 'zhang-1'))!;
    const view = (await getProfile(getDb(), ws, p1))!;
    assert.equal(view.profileId, p1);
    assert.equal(view.createdAt, new Date(Date.UTC(2024, 0, 1, 8, 1)).toISOString());
    assert.deepEqual(view.identities.map((i) => `${i.kind}:${i.value}`).sort(), ['anonymous_id:anon-z', 'email:zw@shop.cn', 'user_id:zhang-1']);
    assert.equal(await getProfile(getDb(), ws, 'p_nope'), null);
    assert.equal(await getProfile(getDb(), 'another-ws', p1), null, 'profiles are per workspace');

    const exact = await searchProfiles(getDb(), ws, 'zhang-1');
    assert.deepEqual(exact.map((r) => [r.profileId, r.userId, r.displayName]), [[p1, 'zhang-1', 'Zhang Wei']]);
    assert.deepEqual((await searchProfiles(getDb(), ws, 'zhang-')).map((r) => r.userId).sort(), ['zhang-1', 'zhang-2']);
    assert.deepEqual((await searchProfiles(getDb(), ws, 'Zhang M')).map((r) => r.userId), ['zhang-2'], 'by name prefix');
    assert.deepEqual((await searchProfiles(getDb(), ws, 'zw@shop.cn')).map((r) => r.profileId), [p1], 'by email');
    assert.deepEqual((await searchProfiles(getDb(), ws, 'li_')).map((r) => r.userId), ['li_3']);
    assert.deepEqual(await searchProfiles(getDb(), ws, 'li%'), [], 'LIKE wildcards are literal');
    assert.deepEqual(await searchProfiles(getDb(), ws, 'z_ang'), []);
    assert.deepEqual((await searchProfiles(getDb(), ws, 'Li 100%')).map((r) => r.userId), ['li_3']);
    assert.equal((await searchProfiles(getDb(), ws, 'zhang', 1)).length, 1, 'limit');
    assert.deepEqual(await searchProfiles(getDb(), 'another-ws', 'zhang'), []);
    assert.deepEqual(await profileKeys(getDb(), p1), { userIds: ['zhang-1'], anonymousIds: ['anon-z'] });
    assert.deepEqual(await profileKeys(getDb(), 'p_nope'), { userIds: [], anonymousIds: [] });
  });

  test('workspaces do not share identities', async () => {
    const [a, b] = [uid('ws_'), uid('ws_')];
    await resolve(a, [identify({ userId: 'same', anonymousId: 'anon', at: 1 })]);
    await resolve(b, [identify({ userId: 'same', anonymousId: 'anon', at: 1 })]);
    assert.notEqual(await who(a, 'user_id', 'same'), await who(b, 'user_id', 'same'));
  });
});

async function wsOf(db: OpStore, profileId: string): Promise<string> {
  const r = await db.query<{ workspace_id: string }>('select workspace_id from profiles where id = $1', [profileId]);
  return r.rows[0]!.workspace_id;
}
