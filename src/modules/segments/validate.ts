import { z } from 'zod';
import { appError, type ErrorCode } from '../../platform/errors.ts';
import { OPS_BY_TYPE, traitField, KEY_RE } from './fields.ts';
import {
  COUNT_OPS, PROPERTY_OPS, SOCIAL_RELATIONS, TRAIT_OPS, LINE_PROPERTIES, ORDER_EVENT,
  type EventRule, type PropertyFilter, type Rule, type TraitRule,
} from './types.ts';

/**
 * Validation of rules (docs/segments.md): the structure with zod, node by node so that every
 * error names its path in the request body (`rule.all[2].where[0].value`); then each value is
 * type-checked against its field. Limits on the expanded rule (depth, nodes, cost) are in limits.ts.
 */
export const MAX_CHILDREN = 20;
export const MAX_LIST = 100;

export interface RuleIssue { path: string; message: string }

export function ruleError(code: ErrorCode, issues: RuleIssue[]) {
  return appError(code, `${issues[0]!.path}: ${issues[0]!.message}`, issues);
}

const bad = (path: string, message: string) => ruleError('RULE_INVALID', [{ path, message }]);

const KINDS = ['all', 'any', 'not', 'trait', 'event', 'social', 'segment', 'cluster'] as const;
const Id = z.string().min(1).max(200);
const Days = z.number().int().min(1).max(3660);
const IsoTime = z.string().max(40).refine((s) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && Number.isFinite(parseTime(s)), 'an ISO date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)');

/** Milliseconds of an ISO date (UTC midnight) or time (UTC when no offset). */
export function parseTime(s: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(s + 'T00:00:00Z');
  const t = s.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : t + 'Z');
}

const TraitNode = z.strictObject({ trait: z.string().min(1).max(100), op: z.enum(TRAIT_OPS), value: z.unknown().optional() });
const Filter = z.strictObject({ property: z.string().regex(KEY_RE, 'letters, digits and _, at most 64'), op: z.enum(PROPERTY_OPS), value: z.unknown().optional() });
const EventNode = z.strictObject({
  event: z.string().min(1).max(200),
  where: z.array(z.unknown()).max(10).optional(),
  performed: z.boolean().optional(),
  count: z.strictObject({ op: z.enum(COUNT_OPS), value: z.number().int().min(0).max(1_000_000_000) }).optional(),
  sum: z.strictObject({ property: z.string().regex(KEY_RE, 'letters, digits and _, at most 64'), op: z.enum(COUNT_OPS), value: z.number().finite() }).optional(),
  within: z.union([z.strictObject({ days: Days }), z.strictObject({ since: IsoTime })]).optional(),
});
const SocialNode = z.union([
  z.strictObject({ social: z.literal('near_kol'), hops: z.number().int().min(1).max(3) }),
  z.strictObject({ social: z.enum(SOCIAL_RELATIONS), of: z.union([z.strictObject({ userId: Id }), z.strictObject({ segment: Id })]) }),
]);
const SegmentNode = z.strictObject({ segment: Id });
const ClusterNode = z.strictObject({ cluster: z.strictObject({ model: z.string().min(1).max(100), index: z.number().int().min(0).max(19) }) });

function zodParse<S extends z.ZodType>(schema: S, value: unknown, path: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  const sub = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  // A union reports "invalid input" at its own level: say what the alternatives are.
  throw bad(path + sub, i.message);
}

/** Checks a rule's structure, fields, operators and value types; returns it typed. Throws RULE_INVALID with the path. */
export function checkRule(input: unknown, path = 'rule'): Rule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad(path, 'a rule is an object');
  const keys = KINDS.filter((k) => Object.hasOwn(input, k));
  if (keys.length !== 1) throw bad(path, keys.length ? `one of ${keys.join(', ')}, not several` : `a rule needs one of: ${KINDS.join(', ')}`);
  const o = input as Record<string, unknown>;
  switch (keys[0]!) {
    case 'all':
    case 'any': {
      const k = keys[0] as 'all' | 'any';
      const extra = Object.keys(o).find((x) => x !== k);
      if (extra) throw bad(`${path}.${extra}`, 'unknown key');
      const list = o[k];
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_CHILDREN) throw bad(`${path}.${k}`, `a list of 1 to ${MAX_CHILDREN} rules`);
      const children = list.map((c, i) => checkRule(c, `${path}.${k}[${i}]`));
      return k === 'all' ? { all: children } : { any: children };
    }
    case 'not': {
      const extra = Object.keys(o).find((x) => x !== 'not');
      if (extra) throw bad(`${path}.${extra}`, 'unknown key');
      return { not: checkRule(o.not, `${path}.not`) };
    }
    case 'trait': return checkTrait(zodParse(TraitNode, o, path), path);
    case 'event': return checkEvent(zodParse(EventNode, o, path), path);
    case 'social': {
      if (typeof o.social === 'string' && o.social !== 'near_kol' && !(SOCIAL_RELATIONS as readonly string[]).includes(o.social)) {
        throw bad(`${path}.social`, `one of ${[...SOCIAL_RELATIONS, 'near_kol'].join(', ')}`);
      }
      if (o.social === 'near_kol') return zodParse(SocialNode.options[0], o, path);
      return zodParse(SocialNode.options[1], o, path);
    }
    case 'segment': return zodParse(SegmentNode, o, path);
    case 'cluster': return zodParse(ClusterNode, o, path);
  }
  throw bad(path, 'unknown rule');
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 500;
const isTime = (v: unknown) => (typeof v === 'string' && IsoTime.safeParse(v).success) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && Number.isInteger((v as { daysAgo?: unknown }).daysAgo) &&
    Math.abs((v as { daysAgo: number }).daysAgo) <= 36_600);

function listOf(v: unknown, path: string, ok: (x: unknown) => boolean, what: string): void {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_LIST) throw bad(`${path}.value`, `a list of 1 to ${MAX_LIST} ${what}`);
  v.forEach((x, i) => {
    if (!ok(x)) throw bad(`${path}.value[${i}]`, `must be ${what}`);
  });
}

function pair(v: unknown, path: string, ok: (x: unknown) => boolean, what: string): void {
  if (!Array.isArray(v) || v.length !== 2) throw bad(`${path}.value`, `[low, high] of ${what}`);
  v.forEach((x, i) => {
    if (!ok(x)) throw bad(`${path}.value[${i}]`, `must be ${what}`);
  });
}

/** The value an operator takes, checked against a field type. */
function checkValue(type: 'number' | 'text' | 'time' | 'list' | 'flag' | 'identify', op: string, value: unknown, path: string): void {
  if (op === 'exists' || op === 'not_exists') {
    if (value !== undefined) throw bad(`${path}.value`, `${op} takes no value`);
    return;
  }
  if (value === undefined) throw bad(`${path}.value`, `${op} needs a value`);
  const scalar = type === 'number' ? isNum : type === 'text' || type === 'list' ? isStr : (x: unknown) => isNum(x) || isStr(x);
  const scalarWhat = type === 'number' ? 'numbers' : type === 'text' || type === 'list' ? 'strings' : 'strings or numbers';
  if (type === 'time') {
    if (op === 'within_last_days') {
      if (!Days.safeParse(value).success) throw bad(`${path}.value`, 'a whole number of days, 1 to 3660');
    } else if (op === 'between') pair(value, path, isTime, 'ISO dates / times or { daysAgo: N }');
    else if (!isTime(value)) throw bad(`${path}.value`, 'an ISO date / time or { "daysAgo": N }');
    return;
  }
  if (type === 'flag') {
    if (typeof value !== 'boolean') throw bad(`${path}.value`, 'true or false');
    return;
  }
  if (op === 'in' || op === 'not_in') return listOf(value, path, scalar, scalarWhat);
  if (op === 'between') return pair(value, path, isNum, 'numbers');
  if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') {
    if (!isNum(value)) throw bad(`${path}.value`, 'must be a number');
    return;
  }
  if (op === 'contains') {
    if (!isStr(value) || value === '') throw bad(`${path}.value`, 'must be a non-empty string');
    return;
  }
  if (!scalar(value)) throw bad(`${path}.value`, `must be ${type === 'number' ? 'a number' : type === 'text' ? 'a string' : 'a string or a number'}`);
}

function checkTrait(r: z.infer<typeof TraitNode>, path: string): TraitRule {
  const f = traitField(r.trait);
  if (!f) throw bad(`${path}.trait`, `unknown trait ${JSON.stringify(r.trait).slice(0, 80)} (see docs/segments.md; identify traits are traits.<key>)`);
  if (!OPS_BY_TYPE[f.type].includes(r.op)) throw bad(`${path}.op`, `${r.trait} takes ${OPS_BY_TYPE[f.type].join(', ')}`);
  checkValue(f.type, r.op, r.value, path);
  return r.value === undefined ? { trait: r.trait, op: r.op } : { trait: r.trait, op: r.op, value: r.value as TraitRule['value'] };
}

function checkEvent(r: z.infer<typeof EventNode>, path: string): EventRule {
  const where: PropertyFilter[] = (r.where ?? []).map((w, i) => {
    const p = `${path}.where[${i}]`;
    const f = zodParse(Filter, w, p);
    const line = r.event === ORDER_EVENT ? LINE_PROPERTIES[f.property] : undefined;
    const type = line ? (line.numeric ? 'number' : 'text') : 'identify';
    if (line && !OPS_BY_TYPE[type].includes(f.op)) throw bad(`${p}.op`, `the order-line property ${f.property} takes ${OPS_BY_TYPE[type].join(', ')}`);
    checkValue(type, f.op, f.value, p);
    return f.value === undefined ? { property: f.property, op: f.op } : { property: f.property, op: f.op, value: f.value as PropertyFilter['value'] };
  });
  if (r.performed === false && (r.count || r.sum)) throw bad(`${path}.${r.count ? 'count' : 'sum'}`, 'not allowed with performed: false');
  const out: EventRule = { event: r.event };
  if (where.length) out.where = where;
  if (r.performed !== undefined) out.performed = r.performed;
  if (r.count) out.count = r.count;
  if (r.sum) out.sum = r.sum;
  if (r.within) out.within = r.within;
  return out;
}
