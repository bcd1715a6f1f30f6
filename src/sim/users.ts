/** Users: communities, latent tastes, lifecycle (signup / churn), activity, demographics. */
import { CITIES, GIVEN, PLATFORM_WEIGHTS, SURNAMES } from './data.ts';
import { Rng, hash32, searchCum } from './rng.ts';

export interface Users {
  n: number;
  /** number of categories */
  k: number;
  communities: number;
  community: Uint32Array;
  /** users arrive in index order: signupDay is non-decreasing in the index */
  signupDay: Int32Array;
  /** -1 = never churns within the simulation */
  churnDay: Int32Array;
  /** day of an anonymous visit before signup, -1 = none */
  preVisitDay: Int32Array;
  /** expected sessions per active day */
  rate: Float32Array;
  isKol: Uint8Array;
  kols: number[];
  /** n*k taste weights (rows sum to 1) and their cumulative sums */
  tastes: Float32Array;
  tasteCum: Float32Array;
  /** index into PLATFORMS; second device platform + 1 (0 = none) */
  platform: Uint8Array;
  secondDevice: Uint8Array;
  userIds: string[];
  anonIds: string[];
}

export function buildUsers(rng: Rng, seed: number, n: number, days: number, k: number): Users {
  const communities = Math.max(2, Math.round(Math.sqrt(n) / 2));
  // community sizes: mildly skewed
  const ccum = new Float64Array(communities);
  let s = 0;
  for (let c = 0; c < communities; c++) ccum[c] = s += 1 / Math.pow(c + 1, 0.6);
  const commTaste: number[][] = [];
  for (let c = 0; c < communities; c++) commTaste.push(rng.dirichlet(k, 0.25));

  const pcum = new Float64Array(PLATFORM_WEIGHTS.length);
  let ps = 0;
  PLATFORM_WEIGHTS.forEach((w, i) => (pcum[i] = ps += w));

  const community = new Uint32Array(n);
  const signupDay = new Int32Array(n);
  const churnDay = new Int32Array(n);
  const preVisitDay = new Int32Array(n);
  const rate = new Float32Array(n);
  const isKol = new Uint8Array(n);
  const tastes = new Float32Array(n * k);
  const tasteCum = new Float32Array(n * k);
  const platform = new Uint8Array(n);
  const secondDevice = new Uint8Array(n);
  const userIds: string[] = new Array<string>(n);
  const anonIds: string[] = new Array<string>(n);

  const nKol = Math.max(1, Math.round(n * 0.005));
  const kolPool = Math.max(nKol * 10, Math.round(n * 0.05));
  const kols: number[] = [];
  while (kols.length < nKol && kols.length < n) {
    const c = rng.int(Math.min(n, kolPool));
    if (!isKol[c]) {
      isKol[c] = 1;
      kols.push(c);
    }
  }
  kols.sort((a, b) => a - b);

  const churnMean = Math.max(3, days / 3);
  for (let i = 0; i < n; i++) {
    const c = searchCum(ccum, 0, communities, rng.next() * s);
    community[i] = c;
    const sd = Math.min(days - 1, Math.floor(days * Math.pow(i / n, 1.5)));
    signupDay[i] = sd;
    let cd = -1;
    if (!isKol[i] && rng.chance(0.3)) {
      const d = sd + 1 + Math.floor(rng.exponential(churnMean));
      if (d < days) cd = d;
    }
    churnDay[i] = cd;
    const pv = sd - rng.range(1, 3);
    preVisitDay[i] = rng.chance(0.35) && pv >= 0 ? pv : -1;
    const r = rng.logNormal(Math.log(0.3) - 0.32, 0.8) * (isKol[i] ? 2.5 : 1);
    rate[i] = Math.min(4, r);
    const own = rng.dirichlet(k, 0.3);
    const ct = commTaste[c] ?? own;
    let acc = 0;
    for (let j = 0; j < k; j++) {
      const w = 0.65 * (ct[j] ?? 0) + 0.35 * (own[j] ?? 0);
      tastes[i * k + j] = w;
      acc += w;
      tasteCum[i * k + j] = acc;
    }
    const p = searchCum(pcum, 0, pcum.length, rng.next() * ps);
    platform[i] = p;
    secondDevice[i] = rng.chance(0.08) ? ((p + 1 + rng.int(pcum.length - 1)) % pcum.length) + 1 : 0;
    userIds[i] = 'u' + (i + 1);
    anonIds[i] = 'anon-' + hash32(seed, i).toString(16).padStart(8, '0') + '-' + (i + 1).toString(36);
  }
  return { n, k, communities, community, signupDay, churnDay, preVisitDay, rate, isKol, kols, tastes, tasteCum, platform, secondDevice, userIds, anonIds };
}

/** Category drawn from user u's tastes. */
export function sampleCategory(users: Users, rng: Rng, u: number): number {
  const k = users.k;
  const base = u * k;
  return searchCum(users.tasteCum, base, base + k, rng.next() * (users.tasteCum[base + k - 1] ?? 1)) - base;
}

export function topTaste(users: Users, u: number): number {
  let best = 0, bw = -1;
  for (let j = 0; j < users.k; j++) {
    const w = users.tastes[u * users.k + j] ?? 0;
    if (w > bw) {
      bw = w;
      best = j;
    }
  }
  return best;
}

/** Deterministic demographic traits of user u (derived from its own stream, so nothing is stored). */
export function userTraits(seed: number, users: Users, u: number): Record<string, unknown> {
  const r = new Rng(seed, 0x7a000000 + u);
  const gender = r.chance(0.55) ? 'female' : 'male';
  const surname = r.pick(SURNAMES);
  const name = surname + r.pick(GIVEN);
  let cw = 0;
  for (const c of CITIES) cw += c.weight;
  let x = r.next() * cw;
  let city = CITIES[0]?.name ?? '上海';
  for (const c of CITIES) {
    x -= c.weight;
    if (x < 0) {
      city = c.name;
      break;
    }
  }
  const age = Math.max(16, Math.min(70, Math.round(18 + r.logNormal(Math.log(13), 0.5))));
  const id = users.userIds[u] ?? '';
  const traits: Record<string, unknown> = { name, gender, age, city, email: id + '@example.com' };
  if (r.chance(0.7)) traits.phone = r.pick(['138', '139', '135', '186', '188', '150', '177']) + String((u * 39916801 + (hash32(seed, 0x9a0e) % 1e8)) % 1e8).padStart(8, '0'); // unique per user
  if (r.chance(0.5)) {
    traits.wechat_openid = 'oWx' + hash32(seed ^ 0x5eed, u).toString(36) + (u + 1).toString(36);
    traits.wechat_unionid = 'oUn' + hash32(seed ^ 0xfeed, u).toString(36) + (u + 1).toString(36);
  }
  if (users.isKol[u]) traits.kol = true;
  return traits;
}
