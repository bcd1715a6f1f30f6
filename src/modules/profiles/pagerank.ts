/**
 * PageRank (Brin & Page) over a directed graph, deterministic: nodes in sorted order, links
 * deduplicated, the same floating-point operations in the same order for the same graph.
 *
 *   PR(v) = (1 − d)/N + d · ( Σ_{u→v} PR(u)/out(u) + Σ_{u dangling} PR(u)/N )
 *
 * starting from 1/N, iterated until the L1 change is below `tolerance` or `maxIterations`.
 * Dangling nodes (no out-links) spread their rank over every node (the usual convention,
 * as networkx.pagerank does).
 */
export const PAGERANK_DAMPING = 0.85;
export const PAGERANK_TOLERANCE = 1e-12;
export const PAGERANK_MAX_ITERATIONS = 200;

export interface PageRankResult { nodes: string[]; rank: Float64Array; iterations: number }

export function pagerank(
  links: Iterable<readonly [string, string]>,
  o: { damping?: number; tolerance?: number; maxIterations?: number } = {},
): PageRankResult {
  const d = o.damping ?? PAGERANK_DAMPING;
  const tol = o.tolerance ?? PAGERANK_TOLERANCE;
  const maxIt = o.maxIterations ?? PAGERANK_MAX_ITERATIONS;
  const us: string[] = [];
  const vs: string[] = [];
  const names = new Set<string>();
  for (const [u, v] of links) {
    if (u === v) continue;
    names.add(u);
    names.add(v);
    us.push(u);
    vs.push(v);
  }
  const nodes = [...names].sort();
  const n = nodes.length;
  if (n > 94_906_265) throw new Error(`pagerank: ${n} nodes (at most 94,906,265: links are coded as v·n + u below 2^53)`);
  const index = new Map(nodes.map((x, i) => [x, i]));
  // Each link as one number v·n + u (exact below 2^53: n < 94 million), sorted: by target, then
  // source; equal codes are duplicate links.
  const codes = new Float64Array(us.length);
  for (let i = 0; i < us.length; i++) codes[i] = index.get(vs[i]!)! * n + index.get(us[i]!)!;
  codes.sort();
  const src = new Int32Array(codes.length);
  const dst = new Int32Array(codes.length);
  let m = 0;
  for (let i = 0; i < codes.length; i++) {
    if (i > 0 && codes[i] === codes[i - 1]) continue;
    const v = Math.floor(codes[i]! / n);
    src[m] = codes[i]! - v * n;
    dst[m++] = v;
  }
  const out = new Int32Array(n);
  for (let i = 0; i < m; i++) out[src[i]!]!++;
  let rank = new Float64Array(n).fill(n ? 1 / n : 0);
  let next = new Float64Array(n);
  let iterations = 0;
  while (n && iterations < maxIt) {
    iterations++;
    let dangling = 0;
    for (let i = 0; i < n; i++) if (out[i] === 0) dangling += rank[i]!;
    const base = (1 - d) / n + (d * dangling) / n;
    next.fill(base);
    for (let i = 0; i < m; i++) {
      const u = src[i]!;
      next[dst[i]!]! += (d * rank[u]!) / out[u]!;
    }
    let delta = 0;
    for (let i = 0; i < n; i++) delta += Math.abs(next[i]! - rank[i]!);
    [rank, next] = [next, rank];
    if (delta < tol) break;
  }
  return { nodes, rank, iterations };
}
