import type { Rule } from './types.ts';
import { isLineFilter } from './types.ts';
import { ruleError } from './validate.ts';
import { CLUSTER_COST } from './cluster.ts';

/**
 * Expansion of segment references and the limits of docs/segments.md: depth, nodes and the
 * estimated query cost, all measured on the expanded rule (a referenced segment's rule counts at
 * its place). Errors name the path of the node where a limit is crossed.
 */
export const MAX_DEPTH = 8;
export const MAX_NODES = 60;
export const MAX_COST = 100;

/** Loads a saved segment's (already validated) rule of the same workspace; null when there is none. */
export type SegmentLoader = (id: string) => Promise<Rule | null>;

/**
 * Returns a copy of the rule with every `{ segment }` reference (and social `of: { segment }`)
 * carrying the referenced rule in `resolved`, recursively. `selfId` is the segment being saved:
 * reaching it is a cycle, as is any segment reached again along one chain.
 */
export async function expandRule(rule: Rule, load: SegmentLoader, path = 'rule', selfId?: string, chain: string[] = selfId ? [selfId] : []): Promise<Rule> {
  const refd = async (id: string, p: string): Promise<Rule> => {
    if (chain.includes(id)) throw ruleError('RULE_CYCLE', [{ path: p, message: `segment ${id} refers back to itself (${[...chain, id].join(' → ')})` }]);
    const r = await load(id);
    if (!r) throw ruleError('RULE_INVALID', [{ path: p, message: `no segment ${id}` }]);
    return expandRule(r, load, p, selfId, [...chain, id]);
  };
  if ('all' in rule) return { all: await Promise.all(rule.all.map((c, i) => expandRule(c, load, `${path}.all[${i}]`, selfId, chain))) };
  if ('any' in rule) return { any: await Promise.all(rule.any.map((c, i) => expandRule(c, load, `${path}.any[${i}]`, selfId, chain))) };
  if ('not' in rule) return { not: await expandRule(rule.not, load, `${path}.not`, selfId, chain) };
  if ('social' in rule && rule.social !== 'near_kol' && 'segment' in rule.of) {
    return { social: rule.social, of: { segment: rule.of.segment, resolved: await refd(rule.of.segment, `${path}.of.segment`) } };
  }
  if ('segment' in rule) return { segment: rule.segment, resolved: await refd(rule.segment, `${path}.segment`) };
  return rule;
}

export interface RuleSize { depth: number; nodes: number; cost: number }

/** The cost of one node itself (children and referenced rules are added by `measureRule`). */
export function nodeCost(rule: Rule): number {
  if ('trait' in rule) return rule.trait.startsWith('traits.') ? 3 : 1;
  if ('event' in rule) {
    const where = rule.where ?? [];
    return 5 + where.length + (where.some((w) => isLineFilter(rule.event, w)) ? 3 : 0) + (rule.within ? 0 : 5) + (rule.sum ? 2 : 0);
  }
  if ('social' in rule) {
    if (rule.social === 'near_kol') return 15 * rule.hops;
    return 'segment' in rule.of ? 10 : 5;
  }
  if ('cluster' in rule) return CLUSTER_COST;
  return 0;
}

/** Depth, nodes and cost of an expanded rule; throws RULE_TOO_DEEP / RULE_TOO_LARGE / RULE_TOO_COSTLY naming a path. */
export function measureRule(rule: Rule, path = 'rule'): RuleSize {
  const size = { depth: 0, nodes: 0, cost: 0 };
  const walk = (r: Rule, p: string, depth: number) => {
    size.nodes++;
    size.depth = Math.max(size.depth, depth);
    if (depth > MAX_DEPTH) throw ruleError('RULE_TOO_DEEP', [{ path: p, message: `nested deeper than ${MAX_DEPTH} levels (referenced segments count at their place)` }]);
    if (size.nodes > MAX_NODES) throw ruleError('RULE_TOO_LARGE', [{ path: p, message: `more than ${MAX_NODES} nodes (referenced segments count at their place)` }]);
    size.cost += nodeCost(r);
    if (size.cost > MAX_COST) throw ruleError('RULE_TOO_COSTLY', [{ path: p, message: `estimated query cost over ${MAX_COST} here (see the cost table in docs/segments.md)` }]);
    if ('all' in r) r.all.forEach((c, i) => walk(c, `${p}.all[${i}]`, depth + 1));
    else if ('any' in r) r.any.forEach((c, i) => walk(c, `${p}.any[${i}]`, depth + 1));
    else if ('not' in r) walk(r.not, `${p}.not`, depth + 1);
    else if ('segment' in r && r.resolved) walk(r.resolved, `${p}.segment`, depth + 1);
    else if ('social' in r && r.social !== 'near_kol' && 'segment' in r.of && r.of.resolved) walk(r.of.resolved, `${p}.of.segment`, depth + 1);
  };
  walk(rule, path, 1);
  return size;
}
