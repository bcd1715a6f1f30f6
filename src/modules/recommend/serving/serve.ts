import type { CatalogView, CompiledRules } from './catalog-view.ts';
import type { LiveSignals } from './live.ts';
import type { ServingModel } from './model.ts';
import type { SnapshotMeta } from './snapshot.ts';
import { R, rankPool, type Candidate } from './rules.ts';
import { sourceBit, type Placement, type Reason } from './types.ts';

export interface ServeRequest {
  placement: Placement;
  /** `u:<userId>` or `a:<anonymousId>`; null when the caller names nobody. */
  userKey: string | null;
  /** The product on the page (placement product) or the cart's products (placement cart). */
  context: string[];
  n: number;
  /** false: the non-personalised ranking, built without any profile data. */
  personalised: boolean;
  /** Products the caller does not want shown. */
  exclude: string[];
  nowSec: number;
  /** The visitor's city from the request (e.g. an anonymous visitor's location); personalised requests only. */
  city?: string;
}

export interface ServeResult {
  items: Candidate[];
  /** Whether the user had a precomputed list (a known, trained user). */
  known: boolean;
}

/** Scratch for a request's popularity groups (serving is synchronous). */
const GROUPS = new Int32Array(8);
const POPULAR = sourceBit('popular'), SESSION = sourceBit('session'), FBT = sourceBit('fbt'), SOCIAL = sourceBit('social'), CONTENT = sourceBit('content');
const COLLAB = sourceBit('itemknn') | sourceBit('ease') | sourceBit('als') | SESSION | CONTENT;
const ITEM_TO_ITEM = sourceBit('itemknn') | SESSION;

/**
 * One request, synchronously, from precomputed lists only (no store access):
 *
 * - non-personalised (per request or opted out): the popularity ranking; nothing about the user
 *   is read, so no purchase exclusion either;
 * - home / email: the user's precomputed hybrid list, plus next-item recommendations from views
 *   since training; anonymous and unknown users get those session recommendations alone; then
 *   popularity;
 * - product: related items of the product (item-kNN, co-visitation, content) and what is bought
 *   with it, then its category's best sellers, then popularity;
 * - cart: frequently-bought-together rules summed over the cart, related items, then popularity.
 *
 * Then the placement's rules: eligibility (stock, filters, price band), bought within the
 * window (personalised only), request exclusions and the context products, boosts, pinned
 * items, diversity (rankWithRules).
 */
export function serve(model: ServingModel, view: CatalogView, rules: CompiledRules, req: ServeRequest, live: LiveSignals | undefined): ServeResult {
  const a = model.snapshot.arrays;
  // items blocked for this request: a generation-stamped mark per item (no Set per request)
  const mark = model.blockMark, gen = model.nextBlockGeneration();
  const blocked = { add: (i: number) => void (mark[i] = gen) };
  for (const id of req.exclude) {
    const i = model.itemIndex.get(id);
    if (i !== undefined) blocked.add(i);
  }
  const context: number[] = [];
  for (const id of req.context) {
    const i = model.itemIndex.get(id);
    if (i !== undefined) {
      blocked.add(i);
      if (!context.includes(i)) context.push(i);
    }
  }
  const u = req.personalised && req.userKey ? model.userIndex.get(req.userKey) ?? -1 : -1;
  if (req.personalised && rules.excludePurchasedDays > 0) {
    const since = req.nowSec - rules.excludePurchasedDays * 86400;
    if (u >= 0) for (let q = a.purchPtr[u]!; q < a.purchPtr[u + 1]!; q++) if (a.purchTs[q]! >= since) blocked.add(a.purchItem[q]!);
    if (live) for (const p of live.purchases) {
      const i = model.itemIndex.get(p.productId);
      if (i !== undefined && p.ts >= since) blocked.add(i);
    }
  }
  const eligible = rules.eligible;
  const isEligible = (i: number) => eligible[i] === 1 && mark[i] !== gen;
  const pool = model.pool;
  pool.reset();
  const maxPop = model.maxPop || 1;
  const add = (i: number, score: number, src: number, code: number, arg: number) => {
    if (isEligible(i)) pool.add(i, score, src, code, arg);
  };
  // the popularity of the user's groups (city, lifecycle stage, RFM segment) comes before the
  // global ranking: scores scale·(1 + w·groupScore), w halving per further group, where global
  // popularity gives at most scale; never without personalisation (no profile data is read then)
  const nGroups = req.personalised ? model.groupsOf(req.userKey, req.city, GROUPS) : 0;
  /** Popular items (the groups' first) after the other candidates: enough that 2n + 10 eligible ones are on offer. */
  const popularFill = (scale: number) => {
    const want = 2 * req.n + 10;
    let w = 1;
    for (let k = 0; k < nGroups && pool.size < want; k++, w *= 0.5) {
      const g = GROUPS[k]!;
      for (let q = a.groupPtr[g]!; q < a.groupPtr[g + 1]! && pool.size < want; q++) add(a.groupItem[q]!, scale * (1 + w * a.groupScore[q]!), POPULAR, R.PopularGroup, g);
    }
    for (let k = 0; k < a.popOrder.length && pool.size < want; k++) {
      const i = a.popOrder[k]!;
      add(i, (scale * a.popScore[i]!) / maxPop, POPULAR, R.Popular, 0);
    }
  };
  let known = false;
  if (!req.personalised) {
    popularFill(1);
  } else if (req.placement === 'home' || req.placement === 'email') {
    known = u >= 0 && a.candPtr[u + 1]! > a.candPtr[u]! && req.userKey!.startsWith('u:');
    if (known) {
      for (let q = a.candPtr[u]!; q < a.candPtr[u + 1]!; q++) {
        const i = a.candItem[q]!;
        if (!isEligible(i)) continue;
        const r = userReason(a, q);
        pool.add(i, a.candScore[q]!, a.candSources[q]!, r >> 24, r & 0xffffff);
      }
    }
    const anchors: number[] = [];
    if (live) for (let k = live.views.length - 1; k >= 0 && anchors.length < 5; k--) {
      const i = model.itemIndex.get(live.views[k]!.productId);
      if (i !== undefined && !anchors.includes(i)) anchors.push(i);
    }
    if (!known && u >= 0) for (let q = a.histPtr[u]!; q < a.histPtr[u + 1]! && anchors.length < 5; q++) {
      const i = a.histItem[q]!;
      if (!anchors.includes(i)) anchors.push(i);
    }
    let w = known ? 0.6 : 1;
    for (const i of anchors) {
      for (let q = a.sessPtr[i]!; q < a.sessPtr[i + 1]!; q++) add(a.sessItem[q]!, w * a.sessScore[q]!, SESSION, R.Session, i);
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) add(a.nbrItem[q]!, 0.5 * w * a.nbrScore[q]!, SESSION | a.nbrSources[q]!, R.Session, i);
      w *= 0.7;
    }
    popularFill(0.05);
  } else if (req.placement === 'product') {
    const i = context[0];
    if (i !== undefined) {
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) {
        const src = a.nbrSources[q]!;
        add(a.nbrItem[q]!, a.nbrScore[q]!, src, src & ITEM_TO_ITEM ? R.AlsoViewed : R.Similar, i);
      }
      const best = a.fbtPtr[i + 1]! > a.fbtPtr[i]! ? a.fbtConf[a.fbtPtr[i]!]! : 1;
      for (let q = a.fbtPtr[i]!; q < a.fbtPtr[i + 1]!; q++) add(a.fbtItem[q]!, (0.9 * a.fbtConf[q]!) / best, FBT, R.BoughtTogether, i);
      const c = a.itemCategory[i]!;
      const cat = c >= 0 ? model.categoryPopular[c] : undefined;
      if (cat) {
        const want = pool.size + 2 * req.n + 10;
        for (let k = 0; k < cat.length && pool.size < want; k++) add(cat[k]!, (0.08 * a.popScore[cat[k]!]!) / maxPop, POPULAR, R.PopularCategory, c);
      }
    }
    popularFill(0.05);
  } else {
    const sum = new Map<number, { score: number; anchor: number; best: number }>();
    for (const i of context.slice(0, 50)) {
      for (let q = a.fbtPtr[i]!; q < a.fbtPtr[i + 1]!; q++) {
        const j = a.fbtItem[q]!, conf = a.fbtConf[q]!;
        const s = sum.get(j);
        if (!s) sum.set(j, { score: conf, anchor: i, best: conf });
        else {
          s.score += conf;
          if (conf > s.best) {
            s.best = conf;
            s.anchor = i;
          }
        }
      }
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) add(a.nbrItem[q]!, 0.4 * a.nbrScore[q]!, a.nbrSources[q]!, R.AlsoViewed, i);
    }
    let top = 0;
    for (const s of sum.values()) top = Math.max(top, s.score);
    for (const [j, s] of sum) add(j, s.score / top, FBT, R.BoughtTogether, s.anchor);
    popularFill(0.05);
  }
  for (const i of rules.boosted) add(i, 0.05, 0, R.Pinned, 0);
  const categories = model.snapshot.meta.categories;
  const items = rankPool(pool, {
    isEligible,
    boost: rules.boost ? (i) => rules.boost![i]! : undefined,
    pinned: rules.pinned,
    diversity: rules.diversity,
    maxPerCategory: rules.maxPerCategory,
    maxPerBrand: rules.maxPerBrand,
    category: view.category,
    brand: view.brand,
  }, req.n, (code, arg) => reasonOf(code, arg, categories, model.snapshot.meta.groups));
  return { items, known };
}

const NEW_ITEM: Reason = { code: 'new_item' }, PINNED: Reason = { code: 'pinned' }, POPULAR_R: Reason = { code: 'popular' }, FOR_YOU: Reason = { code: 'for_you' };

/** A pool's (code, argument) as a Reason (argument-free reasons are shared constants: read-only). */
function reasonOf(code: number, arg: number, categories: string[], groups: SnapshotMeta['groups']): Reason {
  switch (code) {
    case R.PopularGroup: {
      const g = groups?.[arg];
      return g?.dimension === 'city' ? { code: 'popular_city', text: g.value } : { code: 'popular_segment', text: g?.value ?? '' };
    }
    case R.FriendsBought: return { code: 'friends_bought', count: arg };
    case R.FriendsShared: return { code: 'friends_shared', count: arg };
    case R.BecauseViewed: return { code: 'because_viewed', anchor: arg };
    case R.Session: return { code: 'session', anchor: arg };
    case R.AlsoViewed: return { code: 'also_viewed', anchor: arg };
    case R.Similar: return { code: 'similar', anchor: arg };
    case R.BoughtTogether: return { code: 'bought_together', anchor: arg };
    case R.NewItem: return NEW_ITEM;
    case R.PopularCategory: return { code: 'popular_category', text: categories[arg] ?? '' };
    case R.Pinned: return PINNED;
    case R.Popular: return POPULAR_R;
    default: return FOR_YOU;
  }
}

/** Why a precomputed recommendation is shown (code << 24 | argument): friends first, then new items, then its anchor. */
function userReason(a: ServingModel['snapshot']['arrays'], q: number): number {
  const src = a.candSources[q]!;
  if (a.candFriendsBought[q]! > 0) return (R.FriendsBought << 24) | a.candFriendsBought[q]!;
  if (a.candFlags[q]! & 1) return R.NewItem << 24;
  if (a.candFriendsShared[q]! > 0 && src & SOCIAL) return (R.FriendsShared << 24) | a.candFriendsShared[q]!;
  if (a.candAnchor[q]! >= 0 && src & COLLAB) return (R.BecauseViewed << 24) | a.candAnchor[q]!;
  if (src === POPULAR) return R.Popular << 24;
  return R.ForYou << 24;
}
