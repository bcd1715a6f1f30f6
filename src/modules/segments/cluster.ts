import type { Rule } from './types.ts';
import { ruleError } from './validate.ts';

/**
 * The `cluster` condition (docs/segments.md, "Auto-segments"): `{ "cluster": { "model": id,
 * "index": i } }` holds for a buyer (orders ≥ 1) whose nearest centre, on the current
 * standardised features of an auto-segment model, is cluster i (ties: the lower index). The
 * model's numbers are filled in by `resolveClusters` (from the clusters module, through a loader
 * the flow passes) and bound as parameters in SQL; the reference evaluator computes the same.
 */

/** What a cluster condition needs of its model: per feature the computed-traits column, API name, transform, mean and sd; the centres. */
export interface ClusterModelParams {
  features: Array<{ name: string; column: string; transform: 'log1p' | 'none'; mean: number; sd: number }>;
  centers: number[][];
}
export interface ClusterRule { cluster: { model: string; index: number }; resolved?: ClusterModelParams }

export type ClusterLoader = (modelId: string) => Promise<ClusterModelParams | null>;

/** Cost of a cluster condition: a computation over the traits row, no scan of the log. */
export const CLUSTER_COST = 2;

/** Copy of an expanded rule with every cluster condition carrying its model (also inside referenced segments' rules). RULE_INVALID for an unknown model or index. */
export async function resolveClusters(rule: Rule, load: ClusterLoader, path = 'rule'): Promise<Rule> {
  if ('all' in rule) return { all: await Promise.all(rule.all.map((c, i) => resolveClusters(c, load, `${path}.all[${i}]`))) };
  if ('any' in rule) return { any: await Promise.all(rule.any.map((c, i) => resolveClusters(c, load, `${path}.any[${i}]`))) };
  if ('not' in rule) return { not: await resolveClusters(rule.not, load, `${path}.not`) };
  if ('cluster' in rule) {
    const m = await load(rule.cluster.model);
    if (!m) throw ruleError('RULE_INVALID', [{ path: `${path}.cluster.model`, message: `no auto-segment model ${rule.cluster.model}` }]);
    if (rule.cluster.index >= m.centers.length) throw ruleError('RULE_INVALID', [{ path: `${path}.cluster.index`, message: `model ${rule.cluster.model} has clusters 0 to ${m.centers.length - 1}` }]);
    return { cluster: rule.cluster, resolved: m };
  }
  if ('social' in rule && rule.social !== 'near_kol' && 'segment' in rule.of && rule.of.resolved) {
    return { social: rule.social, of: { segment: rule.of.segment, resolved: await resolveClusters(rule.of.resolved, load, `${path}.of.segment`) } };
  }
  if ('segment' in rule && rule.resolved) return { segment: rule.segment, resolved: await resolveClusters(rule.resolved, load, `${path}.segment`) };
  return rule;
}

/** Whether a rule (expanded) has a cluster condition anywhere. */
export function hasCluster(rule: Rule): boolean {
  if ('all' in rule) return rule.all.some(hasCluster);
  if ('any' in rule) return rule.any.some(hasCluster);
  if ('not' in rule) return hasCluster(rule.not);
  if ('cluster' in rule) return true;
  if ('social' in rule) return rule.social !== 'near_kol' && 'segment' in rule.of && !!rule.of.resolved && hasCluster(rule.of.resolved);
  if ('segment' in rule) return !!rule.resolved && hasCluster(rule.resolved);
  return false;
}

/**
 * The condition as SQL over the computed-traits columns (`col` qualifies a column): a buyer whose
 * nearest centre is `index`. Every number goes through `param`.
 */
export function clusterConditionSql(model: ClusterModelParams, index: number, param: (v: number) => string, col: (column: string) => string = (c) => c): string {
  const z = model.features.map((s) => {
    const x = s.transform === 'log1p' ? `ln(1 + greatest(cast(${col(s.column)} as double), 0))` : `cast(${col(s.column)} as double)`;
    // Missing → 0 (the mean). Not coalesce: DuckDB's greatest() skips a NULL argument.
    return `(case when ${col(s.column)} is null then 0 else (${x} - ${param(s.mean)}) / ${param(s.sd)} end)`;
  });
  const dist = (c: number) => '(' + z.map((zj, j) => `power(${zj} - ${param(model.centers[c]![j]!)}, 2)`).join(' + ') + ')';
  const mine = dist(index);
  const others = model.centers.map((_, c) => c).filter((c) => c !== index).map((c) => `${mine} ${c < index ? '<' : '<='} ${dist(c)}`);
  return `(coalesce(${col('orders')}, 0) >= 1${others.length ? ' and ' + others.join(' and ') : ''})`;
}

/** The same in TypeScript over traits by API name (the reference evaluator). */
export function clusterHolds(model: ClusterModelParams, index: number, traits: Record<string, unknown>): boolean {
  const orders = Number(traits.orders ?? 0);
  if (!(orders >= 1)) return false;
  const z = model.features.map((s) => {
    const v = traits[s.name];
    if (v === null || v === undefined) return 0;
    const x = Number(v);
    return ((s.transform === 'log1p' ? Math.log(1 + Math.max(x, 0)) : x) - s.mean) / s.sd;
  });
  let best = 0;
  let bestD = Infinity;
  model.centers.forEach((c, k) => {
    const d = c.reduce((s, x, j) => s + (z[j]! - x) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return best === index;
}
