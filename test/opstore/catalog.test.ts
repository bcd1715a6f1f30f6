import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { track } from '../helpers/op-events.ts';
import { applyCatalogEvents, getProduct, listProducts, productsInEvent, upsertProducts } from '../../src/modules/catalog/index.ts';
import type { StoredEvent } from '../../src/modules/ingest/index.ts';

forEachOpStore('opstore catalog', (getDb) => {
  const events = (ws: string, evs: StoredEvent[]) => getDb().tx((q) => applyCatalogEvents(q, ws, evs));
  const get = async (ws: string, id: string) => {
    const p = (await getProduct(getDb(), ws, id))!;
    assert.ok(p, `product ${id} exists`);
    return p;
  };

  test('events create products; a newer event updates them', async () => {
    const ws = uid('ws_');
    await events(ws, [track('Product Viewed', { userId: 'u', at: 1, properties: { product_id: 'p1', name: 'Tea', price: '10.5', category: 'Drinks', currency: 'CNY' } })]);
    const p = await get(ws, 'p1');
    assert.deepEqual(
      { name: p.name, price: p.price, category: p.category, currency: p.currency, source: p.source, tags: p.tags, stock: p.stock },
      { name: 'Tea', price: 10.5, category: 'Drinks', currency: 'CNY', source: 'event', tags: [], stock: undefined },
    );
    assert.equal(p.firstSeen, new Date(Date.UTC(2024, 0, 1, 8, 1)).toISOString());
    await events(ws, [track('Product Viewed', { userId: 'u', at: 5, properties: { product_id: 'p1', name: 'Green Tea', price: 12 } })]);
    const q = await get(ws, 'p1');
    assert.deepEqual([q.name, q.price, q.category], ['Green Tea', 12, 'Drinks'], 'newer event values win; missing ones are kept');
    assert.equal(q.updatedAt, new Date(Date.UTC(2024, 0, 1, 8, 5)).toISOString());
    assert.equal(q.firstSeen, p.firstSeen);
  });

  test('a late event with an older timestamp only fills gaps', async () => {
    const ws = uid('ws_');
    await events(ws, [track('Product Viewed', { userId: 'u', at: 10, properties: { product_id: 'p1', name: 'New name', price: 20 } })]);
    await events(ws, [track('Product Viewed', { userId: 'u', at: 2, properties: { product_id: 'p1', name: 'Old name', price: 15, brand: 'Acme' } })]);
    const p = await get(ws, 'p1');
    assert.deepEqual([p.name, p.price, p.brand], ['New name', 20, 'Acme']);
    assert.equal(p.updatedAt, new Date(Date.UTC(2024, 0, 1, 8, 10)).toISOString());
    assert.equal(p.firstSeen, new Date(Date.UTC(2024, 0, 1, 8, 2)).toISOString(), 'first seen is the earliest event');
    // The same inside one batch delivered out of order.
    await events(ws, [
      track('Product Viewed', { userId: 'u', at: 30, properties: { product_id: 'p2', name: 'Newest' } }),
      track('Product Viewed', { userId: 'u', at: 20, properties: { product_id: 'p2', name: 'Older', category: 'Misc' } }),
    ]);
    const p2 = await get(ws, 'p2');
    assert.deepEqual([p2.name, p2.category], ['Newest', 'Misc']);
  });

  test('api values are authoritative over event values; events only fill gaps', async () => {
    const ws = uid('ws_');
    await events(ws, [track('Product Viewed', { userId: 'u', at: 1, properties: { product_id: 'p1', name: 'Evt name', price: 9, category: 'Evt cat', image_url: 'https://e/1.png' } })]);
    await getDb().tx((q) => upsertProducts(q, ws, [{ product_id: 'p1', name: 'Api name', price: 12, stock: 5, tags: ['new'], image_url: 'https://api/1.png', url: 'https://shop/p1', currency: 'CNY' }], 'api'));
    let p = await get(ws, 'p1');
    assert.deepEqual(
      { name: p.name, price: p.price, category: p.category, stock: p.stock, tags: p.tags, source: p.source, image: p.image_url, url: p.url, currency: p.currency },
      { name: 'Api name', price: 12, category: 'Evt cat', stock: 5, tags: ['new'], source: 'api', image: 'https://api/1.png', url: 'https://shop/p1', currency: 'CNY' },
    );
    // A later event with different values: nothing the api set changes; gaps (brand, sku) fill in.
    await events(ws, [track('Order Completed', { userId: 'u', at: 60 * 24 * 400, properties: { order_id: 'o', currency: 'USD', products: [
      { product_id: 'p1', name: 'Evt name 2', price: 7, category: 'Other', brand: 'Acme', sku: 'SKU-1', image_url: 'https://e/2.png', url: 'https://e/p1' },
    ] } })]);
    p = await get(ws, 'p1');
    assert.deepEqual(
      { name: p.name, price: p.price, category: p.category, brand: p.brand, sku: p.sku, stock: p.stock, tags: p.tags, source: p.source, image: p.image_url, url: p.url, currency: p.currency },
      { name: 'Api name', price: 12, category: 'Evt cat', brand: 'Acme', sku: 'SKU-1', stock: 5, tags: ['new'], source: 'api', image: 'https://api/1.png', url: 'https://shop/p1', currency: 'CNY' },
    );
    // Events never set stock or tags, even through upsertProducts(..., 'event').
    await getDb().tx((q) => upsertProducts(q, ws, [{ product_id: 'p1', stock: 99, tags: ['evt'] }], 'event'));
    p = await get(ws, 'p1');
    assert.deepEqual([p.stock, p.tags, p.source], [5, ['new'], 'api']);
    // The api changes its own values; omitted fields and empty tags keep what is there.
    await getDb().tx((q) => upsertProducts(q, ws, [{ product_id: 'p1', name: 'Api name 2', stock: 0 }], 'api'));
    p = await get(ws, 'p1');
    assert.deepEqual([p.name, p.price, p.stock, p.tags, p.brand], ['Api name 2', 12, 0, ['new'], 'Acme']);
  });

  test('products[] in an event, and listProducts pages and filters', async () => {
    const ws = uid('ws_');
    const e = track('Order Completed', { userId: 'u', at: 1, properties: { order_id: 'o1', products: [
      { product_id: 'b', name: 'B', category: 'X', price: 1 }, { product_id: 'a', name: 'A', category: 'Y', price: -5 }, { name: 'no id' }, 'junk',
    ] } });
    assert.deepEqual(productsInEvent(e).map((p) => p.product_id), ['b', 'a']);
    assert.deepEqual(productsInEvent({ ...e, type: 'page' }), []);
    await events(ws, [e, track('Product Viewed', { userId: 'u', at: 2, properties: { product_id: 'c', category: 'X' } })]);
    assert.equal((await get(ws, 'a')).price, undefined, 'a negative price is not a price');
    const page1 = await listProducts(getDb(), ws, { limit: 2 });
    assert.deepEqual(page1.map((p) => p.product_id), ['a', 'b']);
    const page2 = await listProducts(getDb(), ws, { limit: 2, after: 'b' });
    assert.deepEqual(page2.map((p) => p.product_id), ['c']);
    assert.deepEqual((await listProducts(getDb(), ws, { limit: 10, category: 'X' })).map((p) => p.product_id), ['b', 'c']);
    assert.equal(await getProduct(getDb(), ws, 'zzz'), null);
    assert.deepEqual(await listProducts(getDb(), uid('ws_'), { limit: 10 }), []);
    assert.equal(await getDb().tx((q) => upsertProducts(q, ws, [], 'api')), 0);
  });
});
