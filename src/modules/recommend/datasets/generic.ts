import fs from 'node:fs';
import path from 'node:path';
import { csrFromTriples, latestPerEntry } from '../sparse.ts';
import { IdIndex, num, readRows } from './read.ts';
import type { Dataset } from './types.ts';

/**
 * Liebian's own tab-separated layout (what `writeGenericDataset` writes, e.g. for a simulated
 * world or a shop's export):
 * - `interactions.tsv`: `user item [value [unix_time]]`, no header; repeated pairs add up.
 * - `friends.tsv` (optional): `user friend`, made symmetric.
 * - `items.tsv` (optional): `item text [token,token,...]`; tokens starting `category:` also feed
 *   category diversity.
 */
export function loadGeneric(dir: string): Dataset {
  const users = new IdIndex();
  const items = new IdIndex();
  const rows = readRows(path.join(dir, 'interactions.tsv'), '\t', { header: false, minFields: 2 });
  const n = rows.length;
  const r = new Int32Array(n), c = new Int32Array(n), v = new Float32Array(n), t = new Float64Array(n);
  let timed = true;
  rows.forEach((f, e) => {
    r[e] = users.get(f[0]!);
    c[e] = items.get(f[1]!);
    v[e] = f.length > 2 && f[2] !== '' ? num(f[2]!, 'interactions.tsv') : 1;
    if (f.length > 3 && f[3] !== '') t[e] = num(f[3]!, 'interactions.tsv');
    else timed = false;
  });
  const fa: number[] = [], fb: number[] = [];
  const friendsFile = path.join(dir, 'friends.tsv');
  if (fs.existsSync(friendsFile)) {
    for (const f of readRows(friendsFile, '\t', { header: false, minFields: 2 })) {
      const a = users.get(f[0]!), b = users.get(f[1]!);
      if (a !== b) {
        fa.push(a, b);
        fb.push(b, a);
      }
    }
  }
  const interactions = csrFromTriples(users.size, items.size, r, c, v, 'sum');
  const times = timed && n > 0 ? latestPerEntry(interactions, r, c, t) : undefined;
  let itemText: string[] | undefined, itemTokens: string[][] | undefined;
  const catRows: number[] = [], catCols: number[] = [];
  const cats = new IdIndex();
  const itemsFile = path.join(dir, 'items.tsv');
  if (fs.existsSync(itemsFile)) {
    itemText = new Array<string>(items.size).fill('');
    itemTokens = Array.from({ length: items.size }, () => []);
    for (const f of readRows(itemsFile, '\t', { header: false, minFields: 2 })) {
      const i = items.find(f[0]!);
      if (i === undefined) continue;
      itemText[i] = f[1]!;
      for (const tok of (f[2] ?? '').split(',').filter(Boolean)) {
        itemTokens[i]!.push(tok);
        if (tok.startsWith('category:')) {
          catRows.push(i);
          catCols.push(cats.get(tok));
        }
      }
    }
  }
  return {
    name: path.basename(path.resolve(dir)),
    userIds: users.ids,
    itemIds: items.ids,
    interactions,
    times,
    friends: fa.length ? csrFromTriples(users.size, users.size, fa, fb, undefined, 'max') : undefined,
    itemText,
    itemTokens,
    itemCategories: catRows.length ? csrFromTriples(items.size, cats.size, catRows, catCols, undefined, 'max') : undefined,
  };
}

/** Writes a dataset in the layout `loadGeneric` reads (tests, exports of simulated worlds). */
export function writeGenericDataset(
  dir: string,
  d: { interactions: Array<[string, string, number?, number?]>; friends?: Array<[string, string]>; items?: Array<[string, string, string[]?]> },
): void {
  fs.mkdirSync(dir, { recursive: true });
  const line = (f: Array<string | number | undefined>) => f.filter((x) => x !== undefined).join('\t') + '\n';
  fs.writeFileSync(path.join(dir, 'interactions.tsv'), d.interactions.map(line).join(''));
  if (d.friends) fs.writeFileSync(path.join(dir, 'friends.tsv'), d.friends.map(line).join(''));
  if (d.items) fs.writeFileSync(path.join(dir, 'items.tsv'), d.items.map(([i, text, toks]) => line([i, text, (toks ?? []).join(',')])).join(''));
}
