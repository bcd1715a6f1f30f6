/** Product catalog: categories, brands, log-normal prices, Zipf popularity. */
import { ADJECTIVES, CATEGORIES } from './data.ts';
import { Rng, searchCum, shuffle } from './rng.ts';

export interface Catalog {
  categories: string[];
  size: number;
  ids: string[];
  skus: string[];
  names: string[];
  /** the generic product word (口红, 跑鞋...), used as a search query */
  nouns: string[];
  brands: string[];
  imageUrls: string[];
  category: Uint8Array;
  price: Float64Array;
  /** 1 = most popular */
  rank: Uint32Array;
  /** per category: product indices sorted by popularity, with cumulative Zipf weights */
  byCategory: Array<{ items: Uint32Array; cum: Float64Array }>;
}

const ZIPF_S = 1.05;

export function buildCatalog(rng: Rng, size: number): Catalog {
  const k = CATEGORIES.length;
  const ids: string[] = [], skus: string[] = [], names: string[] = [], nouns: string[] = [], brands: string[] = [], imageUrls: string[] = [];
  const category = new Uint8Array(size);
  const price = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    // every category gets products; the rest are spread with mild skew
    const c = i < k ? i : Math.min(k - 1, Math.floor(k * Math.pow(rng.next(), 1.3)));
    const spec = CATEGORIES[c];
    if (!spec) throw new Error('category');
    category[i] = c;
    const brand = rng.pick(spec.brands);
    const id = 'p' + String(i + 1).padStart(6, '0');
    ids.push(id);
    skus.push('SKU-' + String(i + 1).padStart(6, '0') + '-' + rng.range(1, 4));
    brands.push(brand);
    const noun = rng.pick(spec.nouns);
    nouns.push(noun);
    names.push(brand + ' ' + rng.pick(ADJECTIVES) + noun);
    imageUrls.push('https://img.example.com/p/' + id + '.jpg');
    const raw = spec.median * rng.logNormal(0, 0.6);
    price[i] = Math.max(2, Math.round(raw)) - 0.1;
  }
  // Zipf popularity: a random permutation of ranks
  const order = shuffle(rng, Array.from({ length: size }, (_, i) => i));
  const rank = new Uint32Array(size);
  order.forEach((p, r) => (rank[p] = r + 1));
  const byCategory: Catalog['byCategory'] = [];
  for (let c = 0; c < k; c++) {
    const items = order.filter((p) => category[p] === c);
    const cum = new Float64Array(items.length);
    let s = 0;
    items.forEach((p, j) => {
      s += 1 / Math.pow(rank[p] ?? 1, ZIPF_S);
      cum[j] = s;
    });
    byCategory.push({ items: Uint32Array.from(items), cum });
  }
  return { categories: CATEGORIES.map((c) => c.name), size, ids, skus, names, nouns, brands, imageUrls, category, price, rank, byCategory };
}

/** A product of category c drawn by popularity. */
export function sampleProduct(cat: Catalog, rng: Rng, c: number): number {
  const t = cat.byCategory[c];
  if (!t || t.items.length === 0) return rng.int(cat.size);
  const u = rng.next() * (t.cum[t.cum.length - 1] ?? 0);
  return t.items[searchCum(t.cum, 0, t.cum.length, u)] ?? 0;
}

/** Segment `Product Viewed` style properties. */
export function productProps(cat: Catalog, p: number): Record<string, unknown> {
  return {
    product_id: cat.ids[p],
    sku: cat.skus[p],
    name: cat.names[p],
    category: cat.categories[cat.category[p] ?? 0],
    brand: cat.brands[p],
    price: cat.price[p],
    currency: 'CNY',
    image_url: cat.imageUrls[p],
  };
}

/** An entry of an order's / cart's products[]. */
export function lineItem(cat: Catalog, p: number, quantity: number): Record<string, unknown> {
  return {
    product_id: cat.ids[p],
    sku: cat.skus[p],
    name: cat.names[p],
    category: cat.categories[cat.category[p] ?? 0],
    brand: cat.brands[p],
    price: cat.price[p],
    quantity,
  };
}
