/** User lifecycle: anonymous pre-signup visits, signup (organic / invite / share), returning sessions. */
import { productProps, sampleProduct } from './catalog.ts';
import { INVITE_CHANNELS } from './data.ts';
import { session, shareLanding } from './sessions.ts';
import { MINUTE, HOUR, type Ident, type ShareRef, type State } from './state.ts';
import { sampleCategory, userTraits } from './users.ts';

const AD_CAMPAIGNS = [
  { source: 'douyin', medium: 'cpc', name: 'spring_sale' },
  { source: 'xiaohongshu', medium: 'social', name: 'kol_seeding' },
  { source: 'baidu', medium: 'cpc', name: 'brand_search' },
];

/** An anonymous browse before the user has an account. */
export function preVisit(s: State, u: number, t: number): void {
  const us = s.w.users;
  const id: Ident = { anonymousId: us.anonIds[u]!, platform: us.platform[u]! };
  session(s, t, id, { tasteOf: u, user: u, loggedIn: false, campaign: s.rng.chance(0.3) ? { ...s.rng.pick(AD_CAMPAIGNS) } : undefined });
}

/** A recent share from u's community (or anywhere) made before t, that could have brought u in. */
function findShare(s: State, u: number, t: number): ShareRef | undefined {
  const c = s.w.users.community[u] ?? 0;
  for (const pool of [s.pools[c]!, s.pools[s.pools.length - 1]!]) {
    const cands = pool.filter((r) => r.t < t - MINUTE && r.t > t - 3 * 24 * HOUR && r.sharer !== u);
    if (cands.length > 0) return s.rng.pick(cands);
  }
  return undefined;
}

/** User u arrives at t and signs up. */
export function signup(s: State, u: number, t: number): void {
  const { rng, w } = s;
  const us = w.users, g = w.graph, cat = w.catalog;
  const anon: Ident = { anonymousId: us.anonIds[u]!, platform: us.platform[u]! };
  const fo = g.friendOut.off[u]!, fe = g.friendOut.off[u + 1]!;

  let via: ShareRef | undefined;
  let invite: { id: string; inviter: number; channel: string } | undefined;
  const r = rng.next();
  if (r < 0.3) {
    for (let e = fo; e < fe; e++) {
      const j = g.friendOut.list[e]!;
      const earliest = Math.max(s.joinTime[j]!, s.dayStart) + 1000;
      if (!s.active(j, t - MINUTE) || earliest >= t - MINUTE) continue;
      const ti = Math.max(earliest, t - MINUTE * (5 + rng.int(6 * 60)));
      invite = { id: s.inviteId(), inviter: j, channel: rng.pick(INVITE_CHANNELS) };
      s.track(ti, s.ident(j), 'Invite Sent', { invite_id: invite.id, channel: invite.channel });
      break;
    }
  } else if (r < 0.55) via = findShare(s, u, t);

  if (via) t = shareLanding(s, t, anon, via);
  else {
    const campaign = invite
      ? { source: 'invite', medium: invite.channel, name: 'invite_friends', invite_id: invite.id }
      : rng.chance(0.25) ? { ...rng.pick(AD_CAMPAIGNS) } : undefined;
    s.view(t, anon, '首页', '/', campaign);
  }
  if (via) {
    t = s.gap(t, 20);
    s.track(t, anon, 'Product Viewed', productProps(cat, via.product));
  }
  for (let i = rng.int(3); i > 0; i--) {
    t = s.gap(t, 25);
    s.track(t, anon, 'Product Viewed', productProps(cat, sampleProduct(cat, rng, sampleCategory(us, rng, u))));
  }

  t = s.gap(t, 40);
  const id = s.ident(u);
  const traits = userTraits(w.seed, us, u);
  traits.created_at = new Date(t).toISOString();
  s.identify(t, id, traits);
  s.joinTime[u] = t;
  if (rng.chance(0.05)) s.alias(t = s.gap(t, 1), id);
  if (invite) {
    t = s.gap(t, 3);
    s.track(t, id, 'Invite Accepted', { invite_id: invite.id, inviter_id: us.userIds[invite.inviter] });
  }
  for (let e = fo; e < fe; e++) {
    t = s.gap(t, 4);
    s.track(t, id, 'Friend Added', { friend_id: us.userIds[g.friendOut.list[e]!] });
  }
  for (let e = g.followOut.off[u]!; e < g.followOut.off[u + 1]!; e++) {
    t = s.gap(t, 4);
    s.track(t, id, 'User Followed', { followee_id: us.userIds[g.followOut.list[e]!] });
  }
  if (rng.chance(0.2)) {
    const c = us.community[u]!;
    s.group((t = s.gap(t, 5)), id, 'wxg-' + c, { name: '社群' + c, type: 'wechat_group' });
  }
  session(s, s.gap(t, 10), id, { tasteOf: u, user: u, loggedIn: true, skipLanding: true, via });
}

/** A returning user's session, sometimes on their second device (which is then linked by identify). */
export function returning(s: State, u: number, t: number): void {
  const us = s.w.users;
  let id = s.ident(u);
  const second = us.secondDevice[u]!;
  if (second > 0 && s.rng.chance(0.3)) {
    id = { userId: id.userId, anonymousId: id.anonymousId + '-d2', platform: second - 1 };
    if (!s.deviceLinked[u]) {
      s.deviceLinked[u] = 1;
      s.identify(t, id, { email: id.userId + '@example.com' });
      t = s.gap(t, 5);
    }
  }
  session(s, t, id, { tasteOf: u, user: u, loggedIn: true });
}
