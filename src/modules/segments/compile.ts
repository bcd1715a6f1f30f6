import { listValue, type DuckDBValue } from '@duckdb/node-api';
import { traitField, type TraitField } from './fields.ts';
import { clusterConditionSql } from './cluster.ts';
import { parseTime } from './validate.ts';
import { LINE_PROPERTIES, isLineFilter, type EventRule, type PropertyFilter, type Rule, type TimeValue, type TraitRule } from './types.ts';

/**
 * The SQL compiler (DuckDB). A validated, expanded rule becomes one `select profile_id` statement
 * over the event store: `computed_traits` (the people and their traits), `events` / `order_lines`
 * joined to people through the identity mirror `profile_identities`. Every value is a bound
 * parameter; identifiers (columns) only come from the allow-list in fields.ts and fixed text here.
 * Every condition is made two-valued (`coalesce(…, false)`), so `not` never meets SQL's unknown.
 */
export const DAY_MS = 86_400_000;

export interface CompileContext {
  ws: string;
  /** The evaluation time in ms: the end of the traits' as-of day (docs/segments.md). */
  now: number;
  /** The columns computed_traits has (a missing allow-listed column reads as null). */
  columns: ReadonlySet<string>;
  /**
   * Where social conditions are evaluated: `profiles` = in the statement, over the profile-level
   * graph `influence_edges` (kept by the traits passes as of the as-of day, with the KOL flag);
   * `ids` = from `socialKeys`, resolved by the caller from the operational store's live edges
   * (workspaces whose influence traits are not computed).
   */
  graph: 'profiles' | 'ids';
  /** `ids` mode: the raw social ids (`u:<userId>` / `a:<anonymousId>`) each social node matches. */
  socialKeys: ReadonlyMap<Rule, readonly string[]>;
}

export interface CompiledRule { sql: string; params: DuckDBValue[] }

class Params {
  readonly values: DuckDBValue[] = [];
  add(v: string | number | boolean): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
  num(v: number): string {
    return `${this.add(v)}::double`;
  }
  strs(v: readonly string[]): string {
    this.values.push(listValue([...v]));
    return `$${this.values.length}::varchar[]`;
  }
  /** A list of numbers, bound as text and cast (the client infers a list's type from its first item). */
  nums(v: readonly number[]): string {
    this.values.push(listValue(v.map((x) => String(x))));
    return `$${this.values.length}::varchar[]::double[]`;
  }
  time(ms: number): string {
    return `${this.add(new Date(ms).toISOString())}::timestamptz`;
  }
}

const CMP: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Resolves a time value of a rule against `now` (ms). */
export function timeValue(v: TimeValue, now: number): number {
  return typeof v === 'string' ? parseTime(v) : now - v.daysAgo * DAY_MS;
}

/** Compiles a rule to `select profile_id from computed_traits …` (the matching people of the workspace). */
export function compileRule(rule: Rule, ctx: CompileContext): CompiledRule {
  const p = new Params();
  const ws = p.add(ctx.ws);
  const c = new Compiler(p, ws, ctx);
  const cond = c.rule(rule);
  const ctes = c.ctes.length ? `with ${c.ctes.join(',\n')}\n` : '';
  return { sql: `${ctes}select t.profile_id from computed_traits t where t.workspace_id = ${ws} and ${cond}`, params: p.values };
}

class Compiler {
  readonly ctes: string[] = [];
  private readonly identify = new Map<string, string>();
  private nowParam: string | null = null;
  constructor(private readonly p: Params, private readonly ws: string, private readonly ctx: CompileContext) {}

  /** `now` as a parameter, allocated on first use (DuckDB refuses parameters a statement does not reference). */
  private get nowSql(): string {
    this.nowParam ??= this.p.time(this.ctx.now);
    return this.nowParam;
  }

  rule(r: Rule): string {
    if ('all' in r) return `(${r.all.map((x) => this.rule(x)).join(' and ')})`;
    if ('any' in r) return `(${r.any.map((x) => this.rule(x)).join(' or ')})`;
    if ('not' in r) return `(not ${this.rule(r.not)})`;
    if ('trait' in r) return `coalesce(${this.trait(r)}, false)`;
    if ('event' in r) return `coalesce(${this.event(r)}, false)`;
    if ('social' in r) return `coalesce(${this.social(r)}, false)`;
    if ('cluster' in r) {
      if (!r.resolved) throw new Error(`cluster model ${r.cluster.model} was not resolved`);
      return `coalesce(${clusterConditionSql(r.resolved, r.cluster.index, (v) => this.p.num(v), (c) => (this.ctx.columns.has(c) ? `t.${c}` : 'null'))}, false)`;
    }
    if (!r.resolved) throw new Error(`segment ${r.segment} was not expanded`);
    return this.rule(r.resolved);
  }

  private col(f: TraitField): string {
    return this.ctx.columns.has(f.column) ? `t.${f.column}` : 'null';
  }

  private trait(r: TraitRule): string {
    const f = traitField(r.trait);
    if (!f) throw new Error(`trait ${r.trait} is not allow-listed`);
    if (f.type === 'identify') return this.identifyTrait(f.column, r);
    const col = this.col(f);
    if (r.op === 'exists') return f.type === 'list' ? `json_array_length(${col}) > 0` : `${col} is not null`;
    if (r.op === 'not_exists') return f.type === 'list' ? `coalesce(json_array_length(${col}), 0) = 0` : `${col} is null`;
    switch (f.type) {
      case 'number': return this.numberOp(`(${col})::double`, r.op, r.value);
      case 'text': return this.textOp(col, r.op, r.value);
      case 'flag': return `${col} = ${this.p.add(r.value as boolean)}`;
      case 'list': return `list_contains(json_extract_string(${col}, '$[*].name'), ${this.p.add(r.value as string)})`;
      case 'time': {
        const ms = f.date ? `epoch_ms(cast(${col} as timestamp))` : `epoch_ms(${col})`;
        const now = this.ctx.now;
        const at = (v: unknown) => this.p.num(timeValue(v as TimeValue, now));
        if (r.op === 'before') return `${ms} < ${at(r.value)}`;
        if (r.op === 'after') return `${ms} > ${at(r.value)}`;
        if (r.op === 'between') return `${ms} between ${at((r.value as TimeValue[])[0])} and ${at((r.value as TimeValue[])[1])}`;
        if (r.op === 'within_last_days') return `(${ms} >= ${this.p.num(now - (r.value as number) * DAY_MS)} and ${ms} < ${this.p.num(now)})`;
      }
    }
    throw new Error(`operator ${r.op} on ${r.trait}`);
  }

  private numberOp(x: string, op: string, value: unknown): string {
    if (op in CMP) return `${x} ${CMP[op]} ${this.p.num(value as number)}`;
    if (op === 'between') return `${x} between ${this.p.num((value as number[])[0]!)} and ${this.p.num((value as number[])[1]!)}`;
    if (op === 'in') return `list_contains(${this.p.nums(value as number[])}, ${x})`;
    if (op === 'not_in') return `(${x} is not null and not list_contains(${this.p.nums(value as number[])}, ${x}))`;
    throw new Error(`operator ${op} on a number`);
  }

  private textOp(x: string, op: string, value: unknown): string {
    if (op === 'eq' || op === 'neq') return `${x} ${CMP[op]} ${this.p.add(value as string)}`;
    if (op === 'in') return `list_contains(${this.p.strs(value as string[])}, ${x})`;
    if (op === 'not_in') return `(${x} is not null and not list_contains(${this.p.strs(value as string[])}, ${x}))`;
    if (op === 'contains') return `contains(${x}, ${this.p.add(value as string)})`;
    throw new Error(`operator ${op} on text`);
  }

  /** A JSON scalar read as text (`x`): strings compare as text, numbers numerically (`try_cast`). */
  private looseOp(x: string, op: string, value: unknown): string {
    const num = `try_cast(${x} as double)`;
    if (op === 'exists') return `${x} is not null`;
    if (op === 'not_exists') return `${x} is null`;
    if (op === 'contains') return `contains(${x}, ${this.p.add(value as string)})`;
    if (op === 'eq' || op === 'neq') return typeof value === 'number' ? `${num} ${CMP[op]} ${this.p.num(value)}` : `${x} ${CMP[op]} ${this.p.add(value as string)}`;
    if (op === 'in' || op === 'not_in') {
      const list = value as Array<string | number>;
      const strs = list.filter((v): v is string => typeof v === 'string');
      const nums = list.filter((v): v is number => typeof v === 'number');
      const parts = [...(strs.length ? [`list_contains(${this.p.strs(strs)}, ${x})`] : []), ...(nums.length ? [`list_contains(${this.p.nums(nums)}, ${num})`] : [])];
      const inList = `coalesce(${parts.join(' or ')}, false)`;
      return op === 'in' ? inList : `(${x} is not null and not ${inList})`;
    }
    return this.numberOp(num, op, value);
  }

  /** Events belong to the profile of their userId, else of their anonymousId (as the traits' facts do). */
  private eventsFrom(): string {
    return `events e
      left join profile_identities u on u.workspace_id = ${this.ws} and u.kind = 'user_id' and u.value = e.user_id
      left join profile_identities a on a.workspace_id = ${this.ws} and a.kind = 'anonymous_id' and a.value = e.anonymous_id`;
  }

  private identifyTrait(key: string, r: TraitRule): string {
    let cte = this.identify.get(key);
    if (!cte) {
      cte = `idt${this.identify.size}`;
      this.identify.set(key, cte);
      const path = this.p.add(`$.traits.${key}`);
      this.ctes.push(`${cte} as (
        select pid, v from (
          select coalesce(u.profile_id, a.profile_id) as pid, json_extract_string(e.body, ${path}) as v, e.ts, e.seq
          from ${this.eventsFrom()}
          where e.workspace_id = ${this.ws} and e.type = 'identify' and e.ts < ${this.nowSql} and json_extract_string(e.body, ${path}) is not null)
        where pid is not null
        qualify row_number() over (partition by pid order by ts desc, seq desc) = 1)`);
    }
    if (r.op === 'not_exists') return `t.profile_id not in (select pid from ${cte})`;
    return `t.profile_id in (select pid from ${cte} where ${this.looseOp('v', r.op, r.value)})`;
  }

  private filter(event: string, f: PropertyFilter): string {
    if (isLineFilter(event, f)) {
      const lp = LINE_PROPERTIES[f.property]!;
      const x = `l.${lp.column}`;
      if (f.op === 'exists') return `${x} is not null`;
      if (f.op === 'not_exists') return `${x} is null`;
      return lp.numeric ? this.numberOp(`(${x})::double`, f.op, f.value) : this.textOp(x, f.op, f.value);
    }
    return `coalesce(${this.looseOp(`json_extract_string(e.body, ${this.p.add(`$.properties.${f.property}`)})`, f.op, f.value)}, false)`;
  }

  private event(r: EventRule): string {
    const where = r.where ?? [];
    const lineFilters = where.filter((f) => isLineFilter(r.event, f));
    const eventFilters = where.filter((f) => !isLineFilter(r.event, f));
    const conds = [`e.workspace_id = ${this.ws}`, `e.type = 'track'`, `e.event = ${this.p.add(r.event)}`, `e.ts < ${this.nowSql}`];
    if (r.within) {
      const from = 'days' in r.within ? this.ctx.now - r.within.days * DAY_MS : parseTime(r.within.since);
      conds.push(`e.ts >= ${this.p.time(from)}`);
    }
    for (const f of eventFilters) conds.push(this.filter(r.event, f));
    if (lineFilters.length) {
      conds.push(`exists (select 1 from order_lines l where l.workspace_id = e.workspace_id and l.seq = e.seq and ${lineFilters.map((f) => `coalesce(${this.filter(r.event, f)}, false)`).join(' and ')})`);
    }
    // The condition on (count n, sum s) of a person's matching events; people with none have (0, 0).
    const checks: Array<{ sql: string; holds: (n: number, s: number) => boolean }> = [];
    const performed = r.performed ?? true;
    if (!performed) checks.push({ sql: 'n = 0', holds: (n) => n === 0 });
    else if (r.count) checks.push({ sql: `n ${CMP[r.count.op]} ${this.p.num(r.count.value)}`, holds: (n) => cmp(r.count!.op, n, r.count!.value) });
    else checks.push({ sql: 'n >= 1', holds: (n) => n >= 1 });
    let sum = '0';
    if (r.sum) {
      sum = `coalesce(sum(try_cast(json_extract_string(e.body, ${this.p.add(`$.properties.${r.sum.property}`)}) as double)), 0)`;
      const s = r.sum;
      checks.push({ sql: `s ${CMP[s.op]} ${this.p.num(s.value)}`, holds: (_n, v) => cmp(s.op, v, s.value) });
    }
    const having = checks.map((c) => c.sql).join(' and ');
    const agg = `select pid, n, s from (
        select coalesce(u.profile_id, a.profile_id) as pid, count(*) as n, ${sum} as s
        from ${this.eventsFrom()}
        where ${conds.join(' and ')}
        group by 1) where pid is not null`;
    // People without a matching event are not in the aggregate: when (0, 0) satisfies the
    // condition, the rule is "not among those for whom it fails".
    if (checks.every((c) => c.holds(0, 0))) return `t.profile_id not in (select pid from (${agg}) where not (${having}))`;
    return `t.profile_id in (select pid from (${agg}) where ${having})`;
  }

  private cteCount = 0;
  private socialProfiles(r: Rule): string {
    return socialProfilesSql({
      ws: this.ws,
      rule: (x) => this.rule(x),
      add: (v) => this.p.add(v),
      cte: (name, sql) => {
        const id = `s${this.cteCount++}_${name}`;
        this.ctes.push(`${id} as materialized (${sql})`);
        return id;
      },
    }, r);
  }

  private social(r: Rule): string {
    if (this.ctx.graph === 'profiles') return this.socialProfiles(r);
    const keys = this.ctx.socialKeys.get(r);
    if (!keys) throw new Error('social node without resolved ids');
    if (!keys.length) return 'false';
    return `t.profile_id in (select profile_id from profile_identities where workspace_id = ${this.ws}
      and (case kind when 'user_id' then 'u:' else 'a:' end) || value in (select unnest(${this.p.strs(keys)})))`;
  }
}

/** Profile-level social conditions over `influence_edges` (follow src→dst, friend both ways, invite inviter→invitee). */
export function socialProfilesSql(this: void, c: { ws: string; rule: (r: Rule) => string; add: (v: string) => string; cte: (name: string, sql: string) => string }, r: Rule): string {
  if (!('social' in r)) throw new Error('not a social node');
  const E = `influence_edges`;
  if (r.social === 'near_kol') {
    const kol = c.cte('kol', `select profile_id from computed_traits where workspace_id = ${c.ws} and is_kol`);
    let prev = kol;
    const hops: string[] = [];
    for (let h = 1; h <= r.hops; h++) {
      // The people one edge away from the previous hop, in either direction (walks, not shortest paths: the union of hops is the reach).
      prev = c.cte(`hop${h}`, `select dst as profile_id from ${E} where workspace_id = ${c.ws} and src in (select profile_id from ${prev})
        union select src from ${E} where workspace_id = ${c.ws} and dst in (select profile_id from ${prev})`);
      hops.push(`select profile_id from ${prev}`);
    }
    return `(t.profile_id in (${hops.join(' union ')}) and t.profile_id not in (select profile_id from ${kol}))`;
  }
  const from = 'userId' in r.of
    ? `select profile_id from profile_identities where workspace_id = ${c.ws} and kind = 'user_id' and value = ${c.add(r.of.userId)}`
    : `select t.profile_id from computed_traits t where t.workspace_id = ${c.ws} and ${c.rule(r.of.resolved ?? fail(r.of.segment))}`;
  switch (r.social) {
    case 'friend_of': return `t.profile_id in (select dst from ${E} where workspace_id = ${c.ws} and type = 'friend' and src in (${from}))`;
    case 'followed_by': return `t.profile_id in (select dst from ${E} where workspace_id = ${c.ws} and type = 'follow' and src in (${from}))`;
    case 'invited_by': return `t.profile_id in (select dst from ${E} where workspace_id = ${c.ws} and type = 'invite' and src in (${from}))`;
    case 'follower_of': return `t.profile_id in (select src from ${E} where workspace_id = ${c.ws} and type = 'follow' and dst in (${from}))`;
  }
  throw new Error('unknown relation');
}

function fail(segment: string): never {
  throw new Error(`segment ${segment} was not expanded`);
}

export function cmp(op: string, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'neq': return a !== b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
  }
  return false;
}
