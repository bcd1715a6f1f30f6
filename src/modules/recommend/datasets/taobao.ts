import fs from 'node:fs';
import path from 'node:path';
import { csrFromTriples } from '../sparse.ts';
import { IdIndex, readRows } from './read.ts';
import type { Dataset } from './types.ts';

/**
 * Taobao (EHCF): purchases from `buy.train.txt` and `buy.test.txt` (the source's own split is
 * ignored: the evaluator splits), value 1 per purchase. With `withCart`, add-to-carts from
 * `cart.csv` are added as interactions of value 0.5. No timestamps, no item attributes.
 */
export function loadTaobao(dir: string, opts: { withCart?: boolean } = {}): Dataset {
  const users = new IdIndex();
  const items = new IdIndex();
  const r: number[] = [], c: number[] = [], v: number[] = [];
  const add = (file: string, value: number) => {
    for (const f of readRows(path.join(dir, file), '\t', { header: true, minFields: 2 })) {
      r.push(users.get(f[0]!));
      c.push(items.get(f[1]!));
      v.push(value);
    }
  };
  add('buy.train.txt', 1);
  if (fs.existsSync(path.join(dir, 'buy.test.txt'))) add('buy.test.txt', 1);
  if (opts.withCart && fs.existsSync(path.join(dir, 'cart.csv'))) add('cart.csv', 0.5);
  const interactions = csrFromTriples(users.size, items.size, r, c, v, 'sum');
  return { name: path.basename(path.resolve(dir)), userIds: users.ids, itemIds: items.ids, interactions };
}
