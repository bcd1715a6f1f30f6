import { z } from 'zod';
import type { SqlRunner } from '../../platform/opstore/index.ts';
import { num, obj, str } from '../../platform/values.ts';

/** Catalog: products learned from e-commerce events or set through the API / import. */
export const ProductInputSchema = z.object({
  product_id: z.string().min(1).max(200),
  sku: z.string().max(200).optional(),
  name: z.string().max(500).optional(),
  category: z.string().max(200).optional(),
  brand: z.string().max(200).optional(),
  price: z.number().finite().nonnegative().optional(),
  currency: z.string().max(10).optional(),
  image_url: z.string().max(2000).optional(),
  url: z.string().max(2000).optional(),
  stock: z.number().int().min(0).optional(),
  tags: z.array(z.string().max(100)).max(100).optional(),
});
export type ProductInput = z.infer<typeof ProductInputSchema>;

export interface Product extends ProductInput { source: string; firstSeen: string; updatedAt: string }

interface CatalogEvent { type: string; event?: string; timestamp: string; properties?: Record<string, unknown> }

/** The products an event mentions (top-level product fields or `products[]`). */
export function productsInEvent(e: CatalogEvent): ProductInput[] {
  if (e.type !== 'track' || !e.properties) return [];
  const p = e.properties;
  const items: Record<string, unknown>[] = Array.isArray(p.products) ? p.products.map(obj) : [];
  if (p.product_id !== undefined) items.push(p);
  const out: ProductInput[] = [];
  for (const it of items) {
    const id = str(it.product_id, 200);
    if (!id) continue;
    const price = num(it.price);
    out.push({
      product_id: id, sku: str(it.sku, 200) ?? undefined, name: str(it.name) ?? undefined, category: str(it.category, 200) ?? undefined,
      brand: str(it.brand, 200) ?? undefined, price: price !== null && price >= 0 ? price : undefined, currency: str(p.currency, 10) ?? undefined,
      image_url: str(it.image_url, 2000) ?? undefined, url: str(it.url, 2000) ?? undefined,
    });
  }
  return out;
}

// An incoming value replaces a stored one when it comes from the api, or from an event no older than
// what an event-sourced product holds; otherwise it only fills a gap (api values are never overwritten by events).
const replaces = `($2 = 'api' or (products.source = 'event' and excluded.updated_at >= products.updated_at))`;
const pick = (c: string) => `${c} = case when ${replaces} then coalesce(excluded.${c}, products.${c}) else coalesce(products.${c}, excluded.${c}) end`;

const UPSERT = `
insert into products (workspace_id, product_id, sku, name, category, brand, price, currency, image_url, url, stock, tags, source, first_seen, updated_at)
select $1, x.product_id, x.sku, x.name, x.category, x.brand, x.price, x.currency, x.image_url, x.url, x.stock, coalesce(x.tags, '[]'::jsonb), $2, x.at, x.at
from jsonb_to_recordset($3::jsonb) as x(product_id text, sku text, name text, category text, brand text, price numeric, currency text,
  image_url text, url text, stock int, tags jsonb, at timestamptz)
on conflict (workspace_id, product_id) do update set
  ${['sku', 'name', 'category', 'brand', 'price', 'currency', 'image_url', 'url'].map(pick).join(',\n  ')},
  stock = case when $2 = 'api' then coalesce(excluded.stock, products.stock) else products.stock end,
  tags = case when $2 = 'api' and excluded.tags <> '[]'::jsonb then excluded.tags else products.tags end,
  source = case when $2 = 'api' then 'api' else products.source end,
  first_seen = least(products.first_seen, excluded.first_seen),
  updated_at = greatest(products.updated_at, excluded.updated_at)`;

/** Upserts products. `api` values are authoritative; `event` values fill gaps and follow newer events. */
export async function upsertProducts(q: SqlRunner, ws: string, products: Array<ProductInput & { at?: string }>, source: 'event' | 'api'): Promise<number> {
  if (!products.length) return 0;
  const byId = new Map<string, ProductInput & { at?: string }>();
  for (const p of products) byId.set(p.product_id, { ...byId.get(p.product_id), ...stripUndefined(p) } as ProductInput & { at?: string });
  const rows = [...byId.values()].map((p) => ({ ...p, tags: p.tags ?? null, at: p.at ?? new Date().toISOString() }));
  await q.query(UPSERT, [ws, source, JSON.stringify(rows)]);
  return rows.length;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Applies a batch of events to the catalog. */
export async function applyCatalogEvents(q: SqlRunner, ws: string, events: CatalogEvent[]): Promise<void> {
  const seen: Array<ProductInput & { at: string }> = [];
  for (const e of events) for (const p of productsInEvent(e)) seen.push({ ...p, at: e.timestamp });
  // Oldest first, so within a batch the newest event's values win (events may arrive out of order).
  seen.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  await upsertProducts(q, ws, seen, 'event');
}

type Row = { product_id: string; sku: string | null; name: string | null; category: string | null; brand: string | null; price: number | null; currency: string | null; image_url: string | null; url: string | null; stock: number | null; tags: string[]; source: string; first_seen: Date; updated_at: Date };
const toProduct = (r: Row): Product => ({
  product_id: r.product_id, sku: r.sku ?? undefined, name: r.name ?? undefined, category: r.category ?? undefined, brand: r.brand ?? undefined,
  price: r.price ?? undefined, currency: r.currency ?? undefined, image_url: r.image_url ?? undefined, url: r.url ?? undefined,
  stock: r.stock ?? undefined, tags: r.tags, source: r.source, firstSeen: r.first_seen.toISOString(), updatedAt: r.updated_at.toISOString(),
});

export async function getProduct(q: SqlRunner, ws: string, productId: string): Promise<Product | null> {
  const r = await q.query<Row>('select * from products where workspace_id = $1 and product_id = $2', [ws, productId]);
  return r.rows[0] ? toProduct(r.rows[0]) : null;
}

/** Pages through the catalog by product_id (keyset). */
export async function listProducts(q: SqlRunner, ws: string, opts: { after?: string; limit: number; category?: string }): Promise<Product[]> {
  const r = await q.query<Row>(
    `select * from products where workspace_id = $1 and product_id > $2 and ($3::text is null or category = $3)
     order by product_id limit $4`,
    [ws, opts.after ?? '', opts.category ?? null, opts.limit],
  );
  return r.rows.map(toProduct);
}
