import fs from 'node:fs';
import path from 'node:path';
import { csrFromTriples } from '../sparse.ts';
import { IdIndex, num, readRows } from './read.ts';
import type { Dataset } from './types.ts';

/**
 * HetRec 2011 Last.fm: `user_artists.dat` (listening counts), `user_friends.dat` (friendships,
 * made symmetric), `artists.dat` (names, as item text). Any listening is an interaction; the
 * value is the listening count. No timestamps.
 */
export function loadLastfm(dir: string): Dataset {
  const users = new IdIndex();
  const items = new IdIndex();
  const ua = readRows(path.join(dir, 'user_artists.dat'), '\t', { header: true, minFields: 3 });
  const r = new Int32Array(ua.length), c = new Int32Array(ua.length), v = new Float32Array(ua.length);
  ua.forEach((f, e) => {
    r[e] = users.get(f[0]!);
    c[e] = items.get(f[1]!);
    v[e] = num(f[2]!, 'user_artists.dat');
  });
  // friendships may name users without listening data: give them indices too (they have no items)
  const fr = fs.existsSync(path.join(dir, 'user_friends.dat')) ? readRows(path.join(dir, 'user_friends.dat'), '\t', { header: true, minFields: 2 }) : [];
  const fa: number[] = [], fb: number[] = [];
  for (const f of fr) {
    const a = users.get(f[0]!), b = users.get(f[1]!);
    if (a === b) continue;
    fa.push(a, b);
    fb.push(b, a);
  }
  const interactions = csrFromTriples(users.size, items.size, r, c, v, 'sum');
  const friends = fr.length ? csrFromTriples(users.size, users.size, fa, fb, undefined, 'max') : undefined;
  const itemText = new Array<string>(items.size).fill('');
  const artistsFile = path.join(dir, 'artists.dat');
  if (fs.existsSync(artistsFile)) {
    for (const f of readRows(artistsFile, '\t', { header: true, minFields: 2 })) {
      const i = items.find(f[0]!);
      if (i !== undefined) itemText[i] = f[1]!;
    }
  }
  return { name: path.basename(path.resolve(dir)), userIds: users.ids, itemIds: items.ids, interactions, friends, itemText };
}
