import type { ProfileSettings } from './settings.ts';

/**
 * Lifecycle stages of a buyer, from their purchase days alone (docs/profiles.md has the rules).
 * `prospect` (no purchase yet) is not one of the seven purchase stages; it is where everyone starts.
 */
export const LIFECYCLE_STAGES = ['new', 'active', 'returning', 'resurrected', 'at_risk', 'dormant', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number] | 'prospect';
export type LifecycleWindows = ProfileSettings['lifecycle'];

export interface StageChange { day: string; stage: LifecycleStage; prevStage: LifecycleStage }

const DAY = 86_400_000;
export const dayNumber = (isoDay: string) => Math.round(Date.parse(isoDay.slice(0, 10) + 'T00:00:00Z') / DAY);
export const isoDay = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

/**
 * The stage at the end of day `d`, given the sorted distinct purchase days (day numbers) up to and
 * including index `lastIdx` (all <= d). In order: new, then by the gap since the last purchase
 * (churned, dormant, at_risk), then by the gap before the last purchase (resurrected, returning),
 * else active.
 */
export function stageAt(days: readonly number[], lastIdx: number, d: number, w: LifecycleWindows): LifecycleStage {
  if (lastIdx < 0) return 'prospect';
  const first = days[0]!;
  const last = days[lastIdx]!;
  if (d - first < w.newDays) return 'new';
  const gap = d - last;
  if (gap >= w.churnedDays) return 'churned';
  if (gap >= w.dormantDays) return 'dormant';
  if (gap >= w.activeDays) return 'at_risk';
  if (lastIdx >= 1) {
    const before = last - days[lastIdx - 1]!;
    if (before >= w.dormantDays) return 'resurrected';
    if (before >= w.activeDays) return 'returning';
  }
  return 'active';
}

/**
 * Every stage change from the first purchase to the as-of day (inclusive): the daily history in
 * change form (the stage on any day is the one of the last change on or before it). Stages only
 * change on a purchase day, on the day the new window ends, or when the gap since a purchase
 * reaches a window, so only those days are evaluated.
 */
export function stageHistory(purchaseDays: readonly number[], asOf: number, w: LifecycleWindows): StageChange[] {
  const days = [...new Set(purchaseDays.filter((x) => x <= asOf))].sort((a, b) => a - b);
  if (!days.length) return [];
  const candidates = new Set<number>([days[0]! + w.newDays]);
  for (const p of days) {
    candidates.add(p);
    candidates.add(p + w.activeDays);
    candidates.add(p + w.dormantDays);
    candidates.add(p + w.churnedDays);
  }
  const sorted = [...candidates].filter((d) => d >= days[0]! && d <= asOf).sort((a, b) => a - b);
  const out: StageChange[] = [];
  let prev: LifecycleStage = 'prospect';
  let idx = -1;
  for (const d of sorted) {
    while (idx + 1 < days.length && days[idx + 1]! <= d) idx++;
    const s = stageAt(days, idx, d, w);
    if (s !== prev) {
      out.push({ day: isoDay(d), stage: s, prevStage: prev });
      prev = s;
    }
  }
  return out;
}
