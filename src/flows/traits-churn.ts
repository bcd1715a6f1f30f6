import type { DuckDBValue } from '@duckdb/node-api';
import {
  CHURN_FEATURES, auc, dayNumber, factsSql, fitLogistic, isoDay, predict,
  type ChurnMetrics, type ChurnModel, type ProfileSettings,
} from '../modules/profiles/index.ts';

/** A read on the caller's connection (the recompute's transaction: one snapshot with the rows it writes). */
export type Read = <T>(sql: string, params: DuckDBValue[]) => Promise<T[]>;

/**
 * Trains the churn model of a workspace as of a day, with a time-based holdout (H = the churn
 * horizon, T = the as-of day):
 *  - train: features of the buyers at T−2H, label = no order in (T−2H, T−H];
 *  - holdout: features at T−H, label = no order in (T−H, T]; AUC of the model and of recency alone;
 *  - the model kept (and used to score every buyer at T) is refitted on the holdout window, the
 *    latest one fully observed.
 * Two facts queries: the features at T−H give the training labels too (a buyer at T−2H ordered
 * again when its last order at T−H is after T−2H), and the holdout labels come from the buyers'
 * purchase days at T (`daysAtAsOf`: purchaseDays, which the recompute reads for the lifecycle
 * history anyway): the same orders (cancellations as of the label day) as a facts query at T.
 */
export async function trainChurnModel(
  read: Read, ws: string, asOf: string, settings: ProfileSettings, daysAtAsOf: ReadonlyMap<string, readonly number[]>,
): Promise<{ model: ChurnModel | null; metrics: ChurnMetrics }> {
  const h = settings.churn.horizonDays;
  const t = dayNumber(asOf);
  const c1 = isoDay(t - 2 * h);
  const c2 = isoDay(t - h);
  const atC1 = await buyersAt(read, ws, c1, settings);
  const atC2 = await buyersAt(read, ws, c2, settings);
  // Ordered again after a cutoff day (a last order after the end of that day); 0 = came back, 1 = churned.
  const c1End = (dayNumber(c1) + 1) * 86_400_000;
  const lastAtC2 = new Map(atC2.ids.map((id, i) => [id, atC2.lastOrderMs[i]!]));
  const train = { ...atC1, y: atC1.ids.map((id) => ((lastAtC2.get(id) ?? -Infinity) >= c1End ? 0 : 1)) };
  const c2n = t - h;
  const test = { ...atC2, y: atC2.ids.map((id) => ((daysAtAsOf.get(id) ?? []).some((d) => d > c2n) ? 0 : 1)) };
  const names = CHURN_FEATURES.map((f) => f.name);
  const rate = (y: number[]) => (y.length ? y.reduce((a, b) => a + b, 0) / y.length : null);
  const metrics: ChurnMetrics = {
    auc: null, baselineAuc: null, trainRows: train.x.length, holdoutRows: test.x.length,
    trainChurnRate: rate(train.y), holdoutChurnRate: rate(test.y), trainCutoff: c1, holdoutCutoff: c2, horizonDays: h,
  };
  const bothClasses = (y: number[]) => y.includes(0) && y.includes(1);
  const fit = (x: number[][], y: number[]) => {
    try {
      const m = fitLogistic(x, y, names);
      return [m.intercept, ...m.weights].every(Number.isFinite) ? m : null;
    } catch {
      return null; // a singular system (e.g. perfectly separated classes)
    }
  };
  if (train.x.length >= 20 && bothClasses(train.y) && test.x.length >= 20 && bothClasses(test.y)) {
    const m = fit(train.x, train.y);
    if (m) {
      metrics.auc = auc(test.x.map((row) => predict(m, row)), test.y);
      metrics.baselineAuc = auc(test.recency, test.y);
    }
  } else {
    metrics.note = 'not enough history for a holdout (needs 20 buyers of both outcomes at each cutoff)';
  }
  const model = test.x.length >= 20 && bothClasses(test.y) ? fit(test.x, test.y) : null;
  if (!model) metrics.note = 'no model: not enough history (needs 20 buyers of both outcomes at the last cutoff), or the fit did not converge';
  return { model, metrics };
}

/** Buyers at `cutoff` (by profile id) with their features, days since and time of their last order. */
async function buyersAt(read: Read, ws: string, cutoff: string, settings: ProfileSettings) {
  const f = factsSql({ ws, asOf: cutoff, scope: null, settings, parts: 'features' });
  const rows = await read<Record<string, number> & { profile_id: string; days_since_last_order: number; last_ms: number }>(
    `select profile_id, days_since_last_order, epoch_ms(last_order_at) as last_ms, ${CHURN_FEATURES.map((c, i) => `(${c.sql})::double as f${i}`).join(', ')}
     from (${f.sql}) where orders > 0 order by profile_id`,
    f.params.values,
  );
  return {
    ids: rows.map((r) => r.profile_id),
    x: rows.map((r) => CHURN_FEATURES.map((_, i) => r[`f${i}`]!)),
    recency: rows.map((r) => r.days_since_last_order),
    lastOrderMs: rows.map((r) => Number(r.last_ms)),
  };
}
