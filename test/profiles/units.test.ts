import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qcutBin, rfmSegment, RFM_SEGMENTS, stageAt, stageHistory, dayNumber, fitLogistic, predict, auc, DEFAULT_PROFILE_SETTINGS, ProfileSettingsSchema } from '../../src/modules/profiles/index.ts';

const W = DEFAULT_PROFILE_SETTINGS.lifecycle;

test('qcutBin equals pandas qcut over ranks (float quantile edges, right-closed bins) for every rank of many n', () => {
  for (let n = 2; n <= 400; n++) {
    const edges = [0, 1, 2, 3, 4, 5].map((k) => 1 + (n - 1) * (k / 5));
    for (let r = 1; r <= n; r++) {
      let bin = edges.findIndex((e) => r <= e);
      bin = Math.max(bin, 1);
      assert.equal(qcutBin(r, n), bin, `r=${r} n=${n}`);
    }
  }
  assert.equal(qcutBin(1, 1), 1);
});

test('every two-digit R/F code has exactly one named segment, and all ten names occur', () => {
  const seen = new Set<string>();
  for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) seen.add(rfmSegment(r, f));
  assert.deepEqual([...seen].sort(), [...RFM_SEGMENTS].sort());
  assert.equal(rfmSegment(5, 5), 'Champions');
  assert.equal(rfmSegment(5, 1), 'New Customers');
  assert.equal(rfmSegment(4, 1), 'Promising');
  assert.equal(rfmSegment(3, 3), 'Need Attention');
  assert.equal(rfmSegment(1, 5), "Can't Lose Them");
  assert.equal(rfmSegment(2, 3), 'At Risk');
});

test('lifecycle stage rules at their boundaries (default windows 30 / 30 / 90 / 180)', () => {
  const d = (s: string) => dayNumber(s);
  const days = (...s: string[]) => s.map(d);
  const at = (ds: number[], day: string) => stageAt(ds, ds.filter((x) => x <= d(day)).length - 1, d(day), W);
  assert.equal(at([], '2026-01-01'), 'prospect');
  const one = days('2026-01-01');
  assert.equal(at(one, '2026-01-30'), 'new'); // 29 days after the first purchase
  assert.equal(at(one, '2026-01-31'), 'at_risk'); // 30 days: no longer new, no purchase for 30 days
  assert.equal(at(one, '2026-04-01'), 'dormant'); // 90 days
  assert.equal(at(one, '2026-06-30'), 'churned'); // 180 days
  const regular = days('2026-01-01', '2026-01-20', '2026-02-05');
  assert.equal(at(regular, '2026-02-10'), 'active');
  const back = days('2026-01-01', '2026-02-15'); // 45-day gap before the last purchase
  assert.equal(at(back, '2026-02-20'), 'returning');
  const resurrected = days('2026-01-01', '2026-05-01'); // 120-day gap
  assert.equal(at(resurrected, '2026-05-10'), 'resurrected');
  assert.equal(at(resurrected, '2026-05-31'), 'at_risk');
  assert.deepEqual(stageHistory(resurrected, d('2026-12-31'), W), [
    { day: '2026-01-01', stage: 'new', prevStage: 'prospect' },
    { day: '2026-01-31', stage: 'at_risk', prevStage: 'new' },
    { day: '2026-04-01', stage: 'dormant', prevStage: 'at_risk' },
    { day: '2026-05-01', stage: 'resurrected', prevStage: 'dormant' },
    { day: '2026-05-31', stage: 'at_risk', prevStage: 'resurrected' },
    { day: '2026-07-30', stage: 'dormant', prevStage: 'at_risk' },
    { day: '2026-10-28', stage: 'churned', prevStage: 'dormant' },
  ]);
});

test('the history, read day by day, equals the stage rule evaluated on every day', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let trial = 0; trial < 200; trial++) {
    const w = { newDays: 1 + Math.floor(rnd() * 40), activeDays: 1 + Math.floor(rnd() * 40), dormantDays: 0, churnedDays: 0 };
    w.dormantDays = w.activeDays + Math.floor(rnd() * 60);
    w.churnedDays = w.dormantDays + Math.floor(rnd() * 90);
    const days = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 300)))].sort((a, b) => a - b);
    const end = 400;
    const h = stageHistory(days, end, w);
    let k = -1;
    let idx = -1;
    for (let d = days[0]!; d <= end; d++) {
      while (idx + 1 < days.length && days[idx + 1]! <= d) idx++;
      while (k + 1 < h.length && dayNumber(h[k + 1]!.day) <= d) k++;
      assert.equal(h[k]!.stage, stageAt(days, idx, d, w), `trial ${trial} day ${d}`);
    }
  }
});

test('logistic regression (IRLS) recovers known coefficients; AUC equals the pairwise count', () => {
  let seed = 1;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const a = gauss() * 2 + 1;
    const b = gauss();
    x.push([a, b, 3]);
    y.push(rnd() < 1 / (1 + Math.exp(-(0.5 + 1.5 * a - 2 * b))) ? 1 : 0);
  }
  const m = fitLogistic(x, y, ['a', 'b', 'constant'], 0);
  assert.ok(Math.abs(m.intercept - 0.5) < 0.1, `intercept ${m.intercept}`);
  assert.ok(Math.abs(m.weights[0]! - 1.5) < 0.1, `a ${m.weights[0]}`);
  assert.ok(Math.abs(m.weights[1]! + 2) < 0.1, `b ${m.weights[1]}`);
  assert.equal(m.weights[2], 0);
  const scores = x.slice(0, 500).map((r) => predict(m, r));
  const labels = y.slice(0, 500);
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < 500; i++) for (let j = 0; j < 500; j++) {
    if (labels[i] === 1 && labels[j] === 0) {
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  assert.ok(Math.abs(auc(scores, labels)! - wins / pairs) < 1e-12);
  assert.equal(auc([1, 2, 2, 3], [0, 1, 0, 1]), 0.875);
  assert.equal(auc([1, 2], [1, 1]), null);
});

test('profile settings: defaults, and windows out of order are refused', () => {
  assert.equal(DEFAULT_PROFILE_SETTINGS.rfm.windowDays, 365);
  assert.equal(ProfileSettingsSchema.parse({ rfm: { windowDays: null } }).rfm.windowDays, null);
  assert.equal(ProfileSettingsSchema.safeParse({ lifecycle: { activeDays: 100, dormantDays: 90 } }).success, false);
});
