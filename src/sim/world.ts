/** The day loop: builds each day's messages, drains them sorted, yields batches. */
import { HOUR_WEIGHTS } from './data.ts';
import { preVisit, returning, signup } from './lifecycle.ts';
import { searchCum } from './rng.ts';
import { runTask } from './social.ts';
import { MINUTE, State, type World } from './state.ts';
import type { SegmentMessage } from './types.ts';

/** Hour-of-day weights in UTC (the table is China local time, UTC+8). */
const UTC_HOUR_CUM = (() => {
  const cum = new Float64Array(24);
  let s = 0;
  for (let h = 0; h < 24; h++) cum[h] = s += HOUR_WEIGHTS[(h + 8) % 24] ?? 1;
  return cum;
})();

const LATEST_START = 45 * MINUTE;

function randomTime(s: State): number {
  const r = s.rng;
  const h = searchCum(UTC_HOUR_CUM, 0, 24, r.next() * UTC_HOUR_CUM[23]!);
  const t = s.dayStart + h * 60 * MINUTE + r.int(60 * MINUTE);
  return t > s.dayEnd - LATEST_START ? t - LATEST_START : t;
}

export function dayFactor(startMs: number, day: number): number {
  const dow = new Date(startMs + day * 86_400_000).getUTCDay();
  return dow === 0 || dow === 6 ? 1.25 : 0.9;
}

export function* runWorld(w: World, batchSize: number): Generator<SegmentMessage[]> {
  const s = new State(w);
  const us = w.users;
  // users with an anonymous pre-signup visit, bucketed by day
  const pvOff = new Int32Array(w.days + 1);
  for (let u = 0; u < us.n; u++) if (us.preVisitDay[u]! >= 0) pvOff[us.preVisitDay[u]! + 1]!++;
  for (let d = 0; d < w.days; d++) pvOff[d + 1]! += pvOff[d]!;
  const pvList = new Int32Array(pvOff[w.days]!);
  const fill = pvOff.slice(0, w.days);
  for (let u = 0; u < us.n; u++) if (us.preVisitDay[u]! >= 0) pvList[fill[us.preVisitDay[u]!]!++] = u;

  const prefix = 'sim-' + w.seed + '-';
  let counter = 0;
  let joined = 0;
  for (let day = 0; day < w.days; day++) {
    s.beginDay(day);
    for (let i = pvOff[day]!; i < pvOff[day + 1]!; i++) preVisit(s, pvList[i]!, randomTime(s));

    const f = dayFactor(w.startMs, day);
    for (let u = 0; u < joined; u++) {
      const cd = us.churnDay[u]!;
      if (cd >= 0 && day >= cd) continue;
      for (let k = s.rng.poisson(us.rate[u]! * f); k > 0; k--) returning(s, u, randomTime(s));
    }

    let hi = joined;
    while (hi < us.n && us.signupDay[hi]! <= day) hi++;
    const times = new Float64Array(hi - joined);
    for (let i = 0; i < times.length; i++) times[i] = randomTime(s);
    times.sort();
    for (let u = joined; u < hi; u++) signup(s, u, times[u - joined]!);
    joined = hi;

    for (let i = 0; i < s.today.length; i++) runTask(s, s.today[i]!);

    const msgs = s.buf.drain(prefix, counter);
    counter += msgs.length;
    for (let i = 0; i < msgs.length; i += batchSize) yield msgs.slice(i, i + batchSize);
  }
}
