import fs from 'node:fs';
import path from 'node:path';
import { csrFromTriples, latestPerEntry } from '../sparse.ts';
import { IdIndex, num, readRows } from './read.ts';
import type { Dataset } from './types.ts';

/**
 * Amazon (HIN collection): `user_item.dat` (user, item, rating, unix time; every rating is an
 * interaction, value = number of ratings, time = the latest), `item_category.dat`,
 * `item_brand.dat` (as item tokens and categories). No social graph.
 */
export function loadAmazon(dir: string): Dataset {
  const users = new IdIndex();
  const items = new IdIndex();
  const rows = readRows(path.join(dir, 'user_item.dat'), '\t', { header: false, minFields: 4 });
  const n = rows.length;
  const r = new Int32Array(n), c = new Int32Array(n), t = new Float64Array(n);
  rows.forEach((f, e) => {
    r[e] = users.get(f[0]!);
    c[e] = items.get(f[1]!);
    t[e] = num(f[3]!, 'user_item.dat');
  });
  const interactions = csrFromTriples(users.size, items.size, r, c, undefined, 'sum');
  const times = latestPerEntry(interactions, r, c, t);
  const itemTokens: string[][] = Array.from({ length: items.size }, () => []);
  const catRows: number[] = [], catCols: number[] = [];
  const cats = new IdIndex();
  const catFile = path.join(dir, 'item_category.dat');
  if (fs.existsSync(catFile)) {
    for (const f of readRows(catFile, ',', { header: false, minFields: 2 })) {
      const i = items.find(f[0]!);
      if (i === undefined) continue;
      itemTokens[i]!.push(`category:${f[1]}`);
      catRows.push(i);
      catCols.push(cats.get(f[1]!));
    }
  }
  const brandFile = path.join(dir, 'item_brand.dat');
  if (fs.existsSync(brandFile)) {
    for (const f of readRows(brandFile, ',', { header: false, minFields: 2 })) {
      const i = items.find(f[0]!);
      if (i !== undefined) itemTokens[i]!.push(`brand:${f[1]}`);
    }
  }
  const itemCategories = catRows.length ? csrFromTriples(items.size, cats.size, catRows, catCols, undefined, 'max') : undefined;
  return { name: path.basename(path.resolve(dir)), userIds: users.ids, itemIds: items.ids, interactions, times, itemTokens, itemCategories };
}
