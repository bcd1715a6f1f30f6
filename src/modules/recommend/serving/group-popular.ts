import type { Prepared } from './prepare.ts';
import { GROUP_DIMENSIONS, type TrainingInput } from './input.ts';

/** One group with its own popularity ranking (meta.groups). */
export interface GroupInfo {
  dimension: string;
  /** The city, segment id, lifecycle stage or RFM segment name. */
  value: string;
  /** A display name (a saved segment's name). */
  label?: string;
  /** Group members with at least one interaction in the training data. */
  users: number;
}

export interface GroupPopularity {
  groups: GroupInfo[];
  /** User keys that belong to at least one ranked group (gkPtr rows). */
  keys: string[];
  arrays: {
    /** Per group: items best first (groupItem[groupPtr[g]..groupPtr[g+1]]), scores scaled to the group's best = 1. */
    groupPtr: Int32Array;
    groupItem: Int32Array;
    groupScore: Float32Array;
    /** Per key of `keys`: its groups, in GROUP_DIMENSIONS order. */
    gkPtr: Int32Array;
    gkGroup: Int32Array;
  };
}

export interface GroupPopularityOptions {
  /** Each interaction counts exp(-ln2 · age / halfLife) (age before the data's latest time); 0 = plain counts. */
  halfLifeDays: number;
  /** A group gets a ranking when at least this many of its members have interactions. */
  minUsers: number;
  /** Items kept per group. */
  top: number;
}

export const GROUP_POPULARITY_DEFAULTS: GroupPopularityOptions = { halfLifeDays: 14, minUsers: 5, top: 100 };

/**
 * Time-decayed popularity per group (city, saved segment, lifecycle stage, RFM segment): for each group, the
 * members who interacted with each item, each counted with the decay of their latest
 * interaction, exactly as the global `popular` model counts everyone. Groups with fewer than
 * `minUsers` active members are left out (serving falls back to the global ranking).
 */
export function groupPopularity(input: TrainingInput, p: Prepared, o: GroupPopularityOptions = GROUP_POPULARITY_DEFAULTS): GroupPopularity {
  const empty: GroupPopularity = { groups: [], keys: [], arrays: { groupPtr: new Int32Array(1), groupItem: new Int32Array(0), groupScore: new Float32Array(0), gkPtr: new Int32Array(1), gkGroup: new Int32Array(0) } };
  const g = input.groups;
  if (!g || g.key.length === 0) return empty;
  const x = p.data.train, t = p.data.trainTimes;
  const userIndex = new Map(input.userKeys.map((k, u) => [k, u]));
  const rowOfKey = g.keys.map((k) => userIndex.get(k) ?? -1);
  const rate = o.halfLifeDays > 0 && t ? Math.LN2 / (o.halfLifeDays * 86400) : 0;
  // active members (training rows with interactions) per (dimension, value)
  const members = GROUP_DIMENSIONS.map(() => new Map<string, number[]>());
  for (let m = 0; m < g.key.length; m++) {
    const byValue = members[g.dimension[m]!];
    if (!byValue) continue;
    const value = g.value[m]!;
    let list = byValue.get(value);
    if (!list) byValue.set(value, (list = []));
    const u = rowOfKey[g.key[m]!]!;
    if (u >= 0 && x.indptr[u + 1]! > x.indptr[u]!) list.push(u);
  }
  const groups: GroupInfo[] = [];
  const ptr: number[] = [0], items: number[] = [], scores: number[] = [];
  /** Per dimension: value → group index. */
  const groupOf = GROUP_DIMENSIONS.map(() => new Map<string, number>());
  const score = new Float64Array(x.nCols);
  const touched: number[] = [];
  for (let d = 0; d < GROUP_DIMENSIONS.length; d++) {
    for (const value of [...members[d]!.keys()].sort()) {
      const us = members[d]!.get(value)!;
      if (us.length < o.minUsers) continue;
      for (const u of us) {
        for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) {
          const i = x.indices[q]!;
          if (score[i] === 0) touched.push(i);
          score[i] = score[i]! + (rate ? Math.exp(-rate * Math.max(0, p.asOf - t![q]!)) : 1);
        }
      }
      const best = touched.sort((a, b) => score[b]! - score[a]! || a - b).slice(0, o.top);
      const top = score[best[0]!]! || 1;
      for (const i of best) {
        items.push(i);
        scores.push(score[i]! / top);
      }
      for (const i of touched) score[i] = 0;
      touched.length = 0;
      groupOf[d]!.set(value, groups.length);
      const label = GROUP_DIMENSIONS[d] === 'segment' ? g.labels?.[value] : undefined;
      groups.push({ dimension: GROUP_DIMENSIONS[d]!, value, users: us.length, ...(label ? { label } : {}) });
      ptr.push(items.length);
    }
  }
  if (groups.length === 0) return empty;
  // every key (with or without interactions) in a ranked group, its groups in index order
  // (groups are numbered dimension by dimension, so that is GROUP_DIMENSIONS order)
  const perKey = new Map<number, number[]>();
  for (let m = 0; m < g.key.length; m++) {
    const gi = groupOf[g.dimension[m]!]?.get(g.value[m]!);
    if (gi === undefined) continue;
    let l = perKey.get(g.key[m]!);
    if (!l) perKey.set(g.key[m]!, (l = []));
    l.push(gi);
  }
  const keys: string[] = [], gkPtr: number[] = [0], gkGroup: number[] = [];
  for (const [k, l] of [...perKey].sort((a, b) => a[0] - b[0])) {
    keys.push(g.keys[k]!);
    gkGroup.push(...l.sort((a, b) => a - b));
    gkPtr.push(gkGroup.length);
  }
  return {
    groups,
    keys,
    arrays: { groupPtr: Int32Array.from(ptr), groupItem: Int32Array.from(items), groupScore: Float32Array.from(scores), gkPtr: Int32Array.from(gkPtr), gkGroup: Int32Array.from(gkGroup) },
  };
}
