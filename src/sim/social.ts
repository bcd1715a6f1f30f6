/** Social mechanics: shares and their cascades, share clicks, group buys, reviews. */
import { REVIEW_BODIES, SHARE_MESSAGES, SHARE_VIA } from './data.ts';
import { degree } from './graph.ts';
import { session } from './sessions.ts';
import { HOUR, MINUTE, type Ident, type ShareRef, type State, type Task } from './state.ts';

/** Deepest generation that still re-shares (keeps cascades finite even if parameters change). */
export const MAX_GEN = 12;

/** User u shares product p at t; schedules the clicks of friends, followers and outside visitors. */
export function share(s: State, u: number, id: Ident, p: number, t: number, parent: ShareRef | undefined): void {
  if (parent && parent.gen >= MAX_GEN) return;
  const { rng, w } = s;
  const g = w.graph;
  const ref: ShareRef = { id: s.shareId(), sharer: u, product: p, t, gen: parent ? parent.gen + 1 : 0 };
  const props: Record<string, unknown> = { share_id: ref.id };
  if (parent) props.parent_share_id = parent.id;
  props.product_id = w.catalog.ids[p];
  props.share_via = rng.pick(SHARE_VIA);
  props.share_message = rng.pick(SHARE_MESSAGES);
  s.track(t, id, 'Product Shared', props);
  s.remember(ref);

  const kol = w.users.isKol[u] === 1;
  const nf = degree(g.friends, u), no = degree(g.followers, u);
  const lambda = kol ? 2 + 0.04 * no + 0.3 * nf : 0.25 + 0.3 * Math.min(nf, 8) + 0.05 * Math.min(no, 40);
  const k = Math.min(rng.poisson(lambda), nf + no, 400);
  const seen = new Set<number>();
  const fo = g.friends.off[u]!, oo = g.followers.off[u]!;
  for (let i = 0; i < k; i++) {
    const x = rng.int(nf + no);
    const v = x < nf ? g.friends.list[fo + x]! : g.followers.list[oo + x - nf]!;
    if (seen.has(v)) continue;
    seen.add(v);
    s.schedule({ kind: 'open', t: t + clickDelay(s), user: v, share: ref });
  }
  const visitors = rng.poisson(kol ? 1.5 : 0.1);
  for (let i = 0; i < visitors; i++) s.schedule({ kind: 'open', t: t + clickDelay(s), user: -1, share: ref });
}

function clickDelay(s: State): number {
  return Math.round(Math.min(48 * HOUR, MINUTE * s.rng.logNormal(Math.log(20), 1.3)));
}

/** A share click by user v (or an anonymous outside visitor if v < 0). */
function open(s: State, task: Extract<Task, { kind: 'open' }>): void {
  const { rng, w } = s;
  let t = task.t;
  if (t > s.dayEnd - 45 * MINUTE) {
    // too late for a whole session today: the click happens a bit later
    s.schedule({ ...task, t: t + 45 * MINUTE });
    return;
  }
  const via = task.share;
  if (task.user < 0) {
    const id: Ident = { anonymousId: s.visitorAnonId(), platform: rng.chance(0.75) ? 0 : 1 };
    session(s, t, id, { tasteOf: via.sharer, user: -1, loggedIn: false, via });
    return;
  }
  const v = task.user;
  if (!s.active(v, t)) return;
  const id = s.ident(v);
  t = session(s, t, id, { tasteOf: v, user: v, loggedIn: true, via });
  if (w.users.isKol[via.sharer] && via.sharer !== v && rng.chance(0.05)) {
    s.track(s.gap(t, 10), id, 'User Followed', { followee_id: w.users.userIds[via.sharer] });
  }
}

/** u starts a group buy for product p; some friends join later. */
export function groupBuy(s: State, u: number, id: Ident, p: number, t: number): void {
  const { rng, w } = s;
  const g = w.graph;
  const gid = s.groupBuyId();
  const product_id = w.catalog.ids[p];
  s.track(t, id, 'Group Buy Started', { group_buy_id: gid, product_id, group_price: Math.round((w.catalog.price[p] ?? 0) * 80) / 100, target_size: 3 });
  const nf = degree(g.friends, u);
  const off = g.friends.off[u]!;
  for (let i = 0; i < Math.min(5, nf); i++) {
    const v = g.friends.list[off + rng.int(nf)]!;
    if (v === u || !s.active(v, t) || !rng.chance(0.35)) continue;
    const msg = s.deferredTrack(s.ident(v), 'Group Buy Joined', { group_buy_id: gid, product_id, initiator_id: id.userId });
    s.schedule({ kind: 'msg', t: t + Math.round(rng.exponential(90 * MINUTE)) + 1000, msg, user: v });
  }
}

function review(s: State, task: Extract<Task, { kind: 'review' }>): void {
  const { rng, w } = s;
  const u = task.user;
  if (!s.active(u, task.t)) return;
  const us = w.users;
  const taste = us.tastes[u * us.k + (w.catalog.category[task.product] ?? 0)] ?? 0;
  const raw = task.refunded ? 1 + rng.int(2) : 3 + Math.min(1.6, taste * 4) + rng.normal() * 0.7;
  const rating = Math.max(1, Math.min(5, Math.round(raw)));
  s.track(task.t, s.ident(u), 'Product Reviewed', {
    product_id: w.catalog.ids[task.product],
    review_id: s.reviewId(),
    order_id: task.orderId,
    rating,
    review_body: rng.pick(REVIEW_BODIES[rating - 1] ?? ['']),
  });
}

export function runTask(s: State, task: Task): void {
  if (task.kind === 'msg') {
    const cd = task.user === undefined ? -1 : s.w.users.churnDay[task.user]!;
    if (cd < 0 || s.day < cd) s.buf.push(Math.min(Math.max(task.t, s.dayStart), s.dayEnd - 1), task.msg);
  }
  else if (task.kind === 'open') open(s, task);
  else review(s, task);
}
