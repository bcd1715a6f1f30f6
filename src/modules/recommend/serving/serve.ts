import type { CatalogView, CompiledRules } from './catalog-view.ts';
import type { LiveSignals } from './live.ts';
import type { ServingModel } from './model.ts';
import { rankWithRules, type Candidate } from './rules.ts';
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
}

export interface ServeResult {
  items: Candidate[];
  /** Whether the user had a precomputed list (a known, trained user). */
  known: boolean;
}

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
  const blocked = new Set<number>();
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
  const isEligible = (i: number) => rules.eligible[i] === 1 && !blocked.has(i);
  const pool: Candidate[] = [];
  const want = Math.max(req.n * 3, 60);
  const maxPop = model.maxPop || 1;
  const popularFill = (scale: number) => {
    let added = 0;
    for (let k = 0; k < a.popOrder.length && added < want; k++) {
      const i = a.popOrder[k]!;
      if (!isEligible(i)) continue;
      pool.push({ item: i, score: (scale * a.popScore[i]!) / maxPop, sources: POPULAR, reason: { code: 'popular' } });
      added++;
    }
  };
  let known = false;
  if (!req.personalised) {
    popularFill(1);
  } else if (req.placement === 'home' || req.placement === 'email') {
    known = u >= 0 && a.candPtr[u + 1]! > a.candPtr[u]! && req.userKey!.startsWith('u:');
    if (known) {
      for (let q = a.candPtr[u]!; q < a.candPtr[u + 1]!; q++) {
        pool.push({ item: a.candItem[q]!, score: a.candScore[q]!, sources: a.candSources[q]!, reason: userReason(a, q) });
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
    const scale = known ? 0.6 : 1;
    let w = scale;
    for (const i of anchors) {
      for (let q = a.sessPtr[i]!; q < a.sessPtr[i + 1]!; q++) pool.push({ item: a.sessItem[q]!, score: w * a.sessScore[q]!, sources: SESSION, reason: { code: 'session', anchor: i } });
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) pool.push({ item: a.nbrItem[q]!, score: 0.5 * w * a.nbrScore[q]!, sources: SESSION | a.nbrSources[q]!, reason: { code: 'session', anchor: i } });
      w *= 0.7;
    }
    popularFill(0.05);
  } else if (req.placement === 'product') {
    const i = context[0];
    if (i !== undefined) {
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) {
        const src = a.nbrSources[q]!;
        pool.push({ item: a.nbrItem[q]!, score: a.nbrScore[q]!, sources: src, reason: src & ITEM_TO_ITEM ? { code: 'also_viewed', anchor: i } : { code: 'similar', anchor: i } });
      }
      const best = a.fbtPtr[i + 1]! > a.fbtPtr[i]! ? a.fbtConf[a.fbtPtr[i]!]! : 1;
      for (let q = a.fbtPtr[i]!; q < a.fbtPtr[i + 1]!; q++) pool.push({ item: a.fbtItem[q]!, score: (0.9 * a.fbtConf[q]!) / best, sources: FBT, reason: { code: 'bought_together', anchor: i } });
      const c = a.itemCategory[i]!;
      const cat = c >= 0 ? model.categoryPopular[c] : undefined;
      if (cat) for (const j of cat) if (isEligible(j)) pool.push({ item: j, score: (0.08 * a.popScore[j]!) / maxPop, sources: POPULAR, reason: { code: 'popular_category', text: model.snapshot.meta.categories[c]! } });
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
      for (let q = a.nbrPtr[i]!; q < a.nbrPtr[i + 1]!; q++) pool.push({ item: a.nbrItem[q]!, score: 0.4 * a.nbrScore[q]!, sources: a.nbrSources[q]!, reason: { code: 'also_viewed', anchor: i } });
    }
    let top = 0;
    for (const s of sum.values()) top = Math.max(top, s.score);
    for (const [j, s] of sum) pool.push({ item: j, score: s.score / top, sources: FBT, reason: { code: 'bought_together', anchor: s.anchor } });
    popularFill(0.05);
  }
  for (const i of rules.boosted) pool.push({ item: i, score: 0.05, sources: 0, reason: { code: 'pinned' } });
  const items = rankWithRules(pool, {
    isEligible,
    boost: rules.boost ? (i) => rules.boost![i]! : undefined,
    pinned: rules.pinned,
    diversity: rules.diversity,
    maxPerCategory: rules.maxPerCategory,
    maxPerBrand: rules.maxPerBrand,
    category: view.category,
    brand: view.brand,
  }, req.n);
  return { items, known };
}

/** Why a precomputed recommendation is shown: friends first, then new items, then its anchor. */
function userReason(a: ServingModel['snapshot']['arrays'], q: number): Reason {
  const src = a.candSources[q]!;
  if (a.candFriendsBought[q]! > 0) return { code: 'friends_bought', count: a.candFriendsBought[q]! };
  if (a.candFlags[q]! & 1) return { code: 'new_item' };
  if (a.candFriendsShared[q]! > 0 && src & SOCIAL) return { code: 'friends_shared', count: a.candFriendsShared[q]! };
  if (a.candAnchor[q]! >= 0 && src & COLLAB) return { code: 'because_viewed', anchor: a.candAnchor[q]! };
  if (src === POPULAR) return { code: 'popular' };
  return { code: 'for_you' };
}
