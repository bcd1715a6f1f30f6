import { Rng } from '../../src/platform/rng.ts';

/**
 * A small world with known structure for recommender tests: users and items in `groups` taste
 * groups; each user interacts mostly with items of their group (and a few others), friends are
 * mostly within the group. Times increase along each user's history.
 */
export function syntheticWorld(opts: { users: number; items: number; groups: number; perUser: number; friendsPerUser: number; seed: number }) {
  const rng = new Rng(opts.seed);
  const groupOfUser = (u: number) => u % opts.groups;
  const groupOfItem = (i: number) => i % opts.groups;
  const interactions: Array<[string, string, number, number]> = [];
  for (let u = 0; u < opts.users; u++) {
    const seen = new Set<number>();
    while (seen.size < opts.perUser) {
      const inGroup = rng.next() < 0.85;
      let i = rng.int(opts.items);
      // popularity skew: prefer low indices
      i = Math.floor(i * rng.next());
      if (inGroup) i = i - (i % opts.groups) + groupOfUser(u);
      if (i >= opts.items) continue;
      seen.add(i);
    }
    let t = 1_700_000_000 + u;
    for (const i of seen) interactions.push([`u${u}`, `i${i}`, 1 + rng.int(20), (t += 3600)]);
  }
  const friends: Array<[string, string]> = [];
  for (let u = 0; u < opts.users; u++) {
    for (let k = 0; k < opts.friendsPerUser; k++) {
      let f = rng.int(opts.users);
      if (rng.next() < 0.8) f = f - (f % opts.groups) + groupOfUser(u);
      if (f < opts.users && f !== u) friends.push([`u${u}`, `u${f}`]);
    }
  }
  const names = ['红色', '连衣裙', 'blue', 'jeans', '运动鞋', 'phone', '手机壳', 'tea'];
  const items: Array<[string, string, string[]]> = [];
  for (let i = 0; i < opts.items; i++) items.push([`i${i}`, `${names[groupOfItem(i) % names.length]} item ${i}`, [`category:${groupOfItem(i)}`, `brand:${i % 7}`]]);
  return { interactions, friends, items, groupOfUser, groupOfItem };
}
