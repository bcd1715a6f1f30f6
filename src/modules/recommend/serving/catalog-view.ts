import type { ServingModel } from './model.ts';
import { reasonText } from './reasons.ts';
import type { Lang, Reason } from './types.ts';
import type { PlacementSettings } from './settings.ts';

/** A product as the catalog holds it now (stock and price change between trainings). */
export interface LiveProduct {
  productId: string;
  name?: string;
  category?: string;
  brand?: string;
  price?: number;
  stock?: number;
}

/**
 * The live catalog aligned to a model's items: stock, price, category and brand per item index.
 * Items the catalog does not hold keep their training-time attributes and count as in stock; a
 * product with no stock figure counts as in stock; stock 0 is out of stock.
 */
export class CatalogView {
  readonly inStock: Uint8Array;
  readonly price: Float64Array;
  readonly category: Int32Array;
  readonly brand: Int32Array;
  readonly names: string[];
  readonly categories: string[];
  readonly brands: string[];

  private reasons = new Map<string, Map<number, Buffer>>();

  /** An item's display name (its product id when it has none). */
  readonly nameOf = (i: number): string => this.names[i] || this.model.snapshot.itemIds[i]!;

  /**
   * A reason's JSON string in UTF-8 for this view (names are the view's), cached by language,
   * reason code and argument (an item, a count or a category); `reason` is rendered on a miss.
   */
  reasonJson(lang: Lang, code: number, arg: number, reason: Reason): Buffer {
    let byKey = this.reasons.get(lang);
    if (!byKey) this.reasons.set(lang, (byKey = new Map()));
    const key = code * 0x1000000 + arg;
    let b = byKey.get(key);
    if (!b) {
      if (byKey.size > 200_000) byKey.clear();
      byKey.set(key, (b = Buffer.from(JSON.stringify(reasonText(reason, lang, this.nameOf)), 'utf8')));
    }
    return b;
  }

  constructor(readonly model: ServingModel, products: Iterable<LiveProduct> | null) {
    const a = model.snapshot.arrays, n = model.nItems;
    this.inStock = new Uint8Array(n).fill(1);
    this.price = Float64Array.from(a.itemPrice);
    this.category = Int32Array.from(a.itemCategory);
    this.brand = Int32Array.from(a.itemBrand);
    this.names = model.snapshot.itemNames.slice();
    this.categories = model.snapshot.meta.categories.slice();
    this.brands = model.snapshot.meta.brands.slice();
    if (!products) return;
    const catIds = new Map(this.categories.map((c, k) => [c, k]));
    const brandIds = new Map(this.brands.map((b, k) => [b, k]));
    const idOf = (table: string[], ids: Map<string, number>, v: string) => {
      let k = ids.get(v);
      if (k === undefined) ids.set(v, (k = table.push(v) - 1));
      return k;
    };
    for (const p of products) {
      const i = model.itemIndex.get(p.productId);
      if (i === undefined) continue;
      if (p.stock !== undefined && p.stock !== null && p.stock <= 0) this.inStock[i] = 0;
      if (p.price !== undefined && p.price !== null && Number.isFinite(Number(p.price))) this.price[i] = Number(p.price);
      if (p.category) this.category[i] = idOf(this.categories, catIds, p.category);
      if (p.brand) this.brand[i] = idOf(this.brands, brandIds, p.brand);
      if (p.name) this.names[i] = p.name;
    }
  }
}

/** A placement's settings resolved against a model and the live catalog (rebuilt when any of them changes). */
export interface CompiledRules {
  /** 1 = may be recommended: in stock, within the price band, category / brand / product filters passed. */
  eligible: Uint8Array;
  /** Score multiplier per item (1 = none). */
  boost: Float32Array | null;
  /** Product boosts above 1: these items join the candidates even when no model proposed them. */
  boosted: Int32Array;
  pinned: Int32Array;
  diversity: number;
  maxPerCategory: number;
  maxPerBrand: number;
  excludePurchasedDays: number;
}

export function compileRules(view: CatalogView, s: PlacementSettings): CompiledRules {
  const model = view.model, n = model.nItems;
  const eligible = Uint8Array.from(view.inStock);
  const catIds = (names: string[]) => new Set(names.map((c) => view.categories.indexOf(c)).filter((k) => k >= 0));
  const include = s.includeCategories.length ? catIds(s.includeCategories) : null;
  const exCats = catIds(s.excludeCategories);
  const exBrands = new Set(s.excludeBrands.map((b) => view.brands.indexOf(b)));
  for (let i = 0; i < n; i++) {
    if (!eligible[i]) continue;
    const c = view.category[i]!, b = view.brand[i]!, price = view.price[i]!;
    if (include && !include.has(c)) eligible[i] = 0;
    else if (c >= 0 && exCats.has(c)) eligible[i] = 0;
    else if (b >= 0 && exBrands.has(b)) eligible[i] = 0;
    else if ((s.minPrice !== null || s.maxPrice !== null) && (Number.isNaN(price) || (s.minPrice !== null && price < s.minPrice) || (s.maxPrice !== null && price > s.maxPrice))) eligible[i] = 0;
  }
  for (const id of s.excludeProductIds) {
    const i = model.itemIndex.get(id);
    if (i !== undefined) eligible[i] = 0;
  }
  let boost: Float32Array | null = null;
  const boosted: number[] = [];
  if (s.boosts.length) {
    boost = new Float32Array(n).fill(1);
    for (const b of s.boosts) {
      if (b.productId !== undefined) {
        const i = model.itemIndex.get(b.productId);
        if (i === undefined) continue;
        boost[i] = boost[i]! * b.factor;
        if (b.factor > 1) boosted.push(i);
      } else {
        const isCat = b.category !== undefined;
        const k = isCat ? view.categories.indexOf(b.category!) : view.brands.indexOf(b.brand!);
        if (k < 0) continue;
        const attr = isCat ? view.category : view.brand;
        for (let i = 0; i < n; i++) if (attr[i] === k) boost[i] = boost[i]! * b.factor;
      }
    }
  }
  const pinned: number[] = [];
  for (const id of s.pinned) {
    const i = model.itemIndex.get(id);
    if (i !== undefined && !pinned.includes(i)) pinned.push(i);
  }
  return {
    eligible,
    boost,
    boosted: Int32Array.from(boosted),
    pinned: Int32Array.from(pinned),
    diversity: s.diversity,
    maxPerCategory: s.maxPerCategory,
    maxPerBrand: s.maxPerBrand,
    excludePurchasedDays: s.excludePurchasedDays,
  };
}
