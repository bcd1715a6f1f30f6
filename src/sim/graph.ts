/**
 * Social graph: friendships by community-biased preferential attachment (heavy-tailed degrees),
 * follows concentrated on a few KOLs. Users arrive in index order, so every edge a user creates at
 * signup points to an earlier user.
 */
import { Rng, searchCum } from './rng.ts';
import type { Users } from './users.ts';

/** Compressed adjacency: neighbours of v are list[off[v] .. off[v+1]). */
export interface Csr {
  off: Int32Array;
  list: Int32Array;
}

export interface Graph {
  /** friends a user adds at signup (all earlier users) */
  friendOut: Csr;
  /** undirected friendship adjacency */
  friends: Csr;
  /** accounts a user follows at signup */
  followOut: Csr;
  /** followers of each account */
  followers: Csr;
}

function csrFromOrdered(n: number, src: number[], dst: number[]): Csr {
  const off = new Int32Array(n + 1);
  for (const s of src) off[s + 1]!++;
  for (let i = 0; i < n; i++) off[i + 1]! += off[i]!;
  const list = new Int32Array(dst.length);
  const fill = off.slice(0, n);
  for (let e = 0; e < src.length; e++) {
    const s = src[e]!;
    list[fill[s]!++] = dst[e]!;
  }
  return { off, list };
}

export function buildGraph(rng: Rng, users: Users): Graph {
  const n = users.n;
  const fSrc: number[] = [], fDst: number[] = [];
  const oSrc: number[] = [], oDst: number[] = [];
  const endpoints: number[] = [];
  const commEnds: number[][] = Array.from({ length: users.communities }, () => []);

  // KOL fame: Zipf over a random order of KOLs
  const kols = users.kols;
  const fameCum = new Float64Array(kols.length);
  let fs = 0;
  for (let r = 0; r < kols.length; r++) fameCum[r] = fs += 1 / Math.pow(r + 1, 0.8);

  const chosen: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = users.community[i]!;
    const ce = commEnds[c]!;
    // friendships
    const m = Math.min(i, 1 + Math.min(24, rng.geometric(0.4)));
    chosen.length = 0;
    for (let e = 0, tries = 0; e < m && tries < m * 6; tries++) {
      let j: number;
      const x = rng.next();
      if (x < 0.8 && ce.length > 0) j = ce[rng.int(ce.length)]!;
      else if (x < 0.92 && endpoints.length > 0) j = endpoints[rng.int(endpoints.length)]!;
      else j = rng.int(i);
      if (j === i || chosen.includes(j)) continue;
      chosen.push(j);
      e++;
    }
    for (const j of chosen) {
      fSrc.push(i);
      fDst.push(j);
      endpoints.push(i, j);
      ce.push(i);
      commEnds[users.community[j]!]!.push(j);
    }
    // follows
    const f = Math.min(i, Math.min(60, rng.geometric(0.3)));
    const followed: number[] = [];
    for (let e = 0, tries = 0; e < f && tries < f * 6; tries++) {
      let j: number;
      if (kols.length > 0 && rng.chance(0.6)) j = kols[searchCum(fameCum, 0, kols.length, rng.next() * fs)]!;
      else if (ce.length > 0) j = ce[rng.int(ce.length)]!;
      else j = rng.int(Math.max(1, i));
      if (j >= i || followed.includes(j)) continue;
      followed.push(j);
      e++;
    }
    for (const j of followed) {
      oSrc.push(i);
      oDst.push(j);
    }
  }
  const friendOut = csrFromOrdered(n, fSrc, fDst);
  const followOut = csrFromOrdered(n, oSrc, oDst);
  const friends = csrFromOrdered(n, fSrc.concat(fDst), fDst.concat(fSrc));
  const followers = csrFromOrdered(n, oDst, oSrc);
  return { friendOut, friends, followOut, followers };
}

export function degree(g: Csr, v: number): number {
  return g.off[v + 1]! - g.off[v]!;
}
