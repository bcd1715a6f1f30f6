/**
 * Churn risk: an L2-regularised logistic regression fitted by IRLS (Newton's method) on
 * standardised features, AUC by the Mann–Whitney statistic, and the features as SQL over the
 * computed-traits columns (so training rows and scoring use one definition).
 */

/** Churn features: SQL expressions over the columns of the facts query / computed_traits. */
export const CHURN_FEATURES: ReadonlyArray<{ name: string; sql: string; meaning: string }> = [
  { name: 'recency', sql: 'ln(1 + days_since_last_order)', meaning: 'log days since the last order' },
  { name: 'frequency', sql: 'ln(1 + orders)', meaning: 'log orders' },
  { name: 'monetary', sql: 'ln(1 + greatest(cast(net_revenue as double), 0))', meaning: 'log net spend' },
  { name: 'tenure', sql: 'ln(1 + repeat_t_weeks)', meaning: 'log weeks since the first order' },
  { name: 'activity_30d', sql: 'ln(1 + events_30d)', meaning: 'log events in the last 30 days' },
  { name: 'activity_trend', sql: 'ln(1 + events_30d) - ln(1 + events_prev_30d)', meaning: 'log ratio of events, last 30 days to the 30 before' },
  { name: 'social_90d', sql: 'ln(1 + social_90d)', meaning: 'log social actions (shares, invites, follows, friends, reviews) in 90 days' },
];

export interface ChurnModel {
  features: string[];
  /** Raw-scale coefficients: p = σ(intercept + Σ weights[i]·feature[i]); a constant feature has weight 0. */
  intercept: number;
  weights: number[];
  means: number[];
  stds: number[];
  iterations: number;
}

export interface ChurnMetrics {
  /** AUC on the time-based holdout, of the model and of recency alone. */
  auc: number | null;
  baselineAuc: number | null;
  trainRows: number;
  holdoutRows: number;
  trainChurnRate: number | null;
  holdoutChurnRate: number | null;
  /** Cutoff days: trained on features at trainCutoff (labels in the horizon after it), tested at holdoutCutoff; scored with a model refitted at holdoutCutoff. */
  trainCutoff: string;
  holdoutCutoff: string;
  horizonDays: number;
  note?: string;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    if (Math.abs(d) < 1e-300) throw new Error('singular system');
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Fits p(y=1|x) = σ(b0 + b·z), z the standardised features, minimising the log loss plus
 * (lambda/2)·|b|² (intercept unpenalised), by IRLS until the step is below 1e-9.
 */
export function fitLogistic(x: number[][], y: number[], names: string[], lambda = 1e-2): ChurnModel {
  const n = x.length;
  const p = names.length;
  if (n === 0) throw new Error('no training rows');
  const means = new Array<number>(p).fill(0);
  const stds = new Array<number>(p).fill(0);
  for (const row of x) for (let j = 0; j < p; j++) means[j]! += row[j]!;
  for (let j = 0; j < p; j++) means[j] = means[j]! / n;
  for (const row of x) for (let j = 0; j < p; j++) stds[j]! += (row[j]! - means[j]!) ** 2;
  for (let j = 0; j < p; j++) stds[j] = Math.sqrt(stds[j]! / n);
  // A (numerically) constant feature carries no information: weight 0.
  const used = [...Array(p).keys()].filter((j) => stds[j]! > 1e-9 * Math.max(1, Math.abs(means[j]!)));
  const k = used.length + 1;
  const z = x.map((row) => [1, ...used.map((j) => (row[j]! - means[j]!) / stds[j]!)]);
  let beta = new Array<number>(k).fill(0);
  let it = 0;
  for (; it < 100; it++) {
    const h = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const g = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      let s = 0;
      for (let a = 0; a < k; a++) s += beta[a]! * zi[a]!;
      const pi = sigmoid(s);
      const w = Math.max(pi * (1 - pi), 1e-12);
      const r = y[i]! - pi;
      for (let a = 0; a < k; a++) {
        g[a]! += zi[a]! * r;
        const wa = w * zi[a]!;
        for (let b = a; b < k; b++) h[a]![b]! += wa * zi[b]!;
      }
    }
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < a; b++) h[a]![b] = h[b]![a]!;
      if (a > 0) {
        h[a]![a]! += lambda;
        g[a]! -= lambda * beta[a]!;
      }
    }
    const step = solve(h, g);
    beta = beta.map((b, a) => b + step[a]!);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  const weights = new Array<number>(p).fill(0);
  let intercept = beta[0]!;
  used.forEach((j, a) => {
    weights[j] = beta[a + 1]! / stds[j]!;
    intercept -= (beta[a + 1]! * means[j]!) / stds[j]!;
  });
  return { features: names, intercept, weights, means, stds, iterations: it + 1 };
}

export function predict(m: ChurnModel, row: number[]): number {
  let s = m.intercept;
  for (let j = 0; j < m.weights.length; j++) s += m.weights[j]! * row[j]!;
  return sigmoid(s);
}

/** Area under the ROC curve of `scores` for `labels` (1 = positive), ties counted half. Null without both classes. */
export function auc(scores: number[], labels: number[]): number | null {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (labels[idx[t]!] === 1) {
      pos++;
      rankSum += avg;
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (!pos || !neg) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * The probability as SQL over the feature columns, with the coefficients as bound parameters
 * (`param` registers a value and returns its placeholder).
 */
export function churnSql(m: ChurnModel, param: (v: number) => string): string {
  const terms = CHURN_FEATURES.map((f) => {
    const w = m.weights[m.features.indexOf(f.name)] ?? 0;
    return w === 0 ? null : `${param(w)} * (${f.sql})`;
  }).filter((t): t is string => t !== null);
  return `1 / (1 + exp(-(${[param(m.intercept), ...terms].join(' + ')})))`;
}
