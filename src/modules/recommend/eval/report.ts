import type { EvaluationResult } from './evaluate.ts';

/** What an evaluation ran on, for the report's heading. */
export interface ReportMeta {
  dataset: string;
  split: string;
  testFraction?: number;
  leaveN?: number;
  seed: number;
  k: number[];
  minUserItems: number;
  minItemTrainUsers: number;
  threads: number;
}

/**
 * The JSON report: `{ dataset, split, models: { <name>: { "ndcg@10": n, "recall@10": n, ... } } }`
 * plus the protocol, the data's size and each model's fit facts (`fit`).
 */
export function toJsonReport(meta: ReportMeta, r: EvaluationResult): Record<string, unknown> {
  const models: Record<string, Record<string, number>> = {};
  const fit: Record<string, unknown> = {};
  for (const m of r.models) {
    models[m.name] = Object.fromEntries(Object.entries(m.metrics).map(([k, v]) => [k, round(v, 6)]));
    fit[m.name] = m.info;
  }
  return {
    dataset: meta.dataset,
    split: meta.split,
    protocol: { testFraction: meta.testFraction, leaveN: meta.leaveN, seed: meta.seed, k: meta.k, minUserItems: meta.minUserItems, minItemTrainUsers: meta.minItemTrainUsers, threads: meta.threads },
    data: { users: r.users, testUsers: r.testUsers, items: r.items, trainInteractions: r.trainInteractions, testInteractions: r.testInteractions, diversityBy: r.diversityBy },
    models,
    fit,
  };
}

const COLUMNS: Array<[string, string]> = [
  ['ndcg', 'NDCG'],
  ['recall', 'Recall'],
  ['precision', 'Precision'],
  ['map', 'MAP'],
  ['hit', 'HitRate'],
  ['coverage', 'Coverage'],
  ['diversity', 'Diversity'],
  ['novelty', 'Novelty'],
];

/** The Markdown report: one table per cut-off, then training cost per model. */
export function toMarkdownReport(meta: ReportMeta, r: EvaluationResult): string {
  const out: string[] = [];
  const how = meta.split === 'leave-last-n' ? `leave-last-${meta.leaveN}` : `${meta.split}, test fraction ${meta.testFraction}`;
  out.push(`Dataset \`${meta.dataset}\`, split ${how}, seed ${meta.seed}: ${r.users} users with training data, ${r.testUsers} evaluated, ${r.items} items (users with ≥ ${meta.minUserItems} items, items with ≥ ${meta.minItemTrainUsers} training users), ${r.trainInteractions} training / ${r.testInteractions} test interactions. Diversity by ${r.diversityBy}.`);
  for (const k of meta.k) {
    out.push('', `| model | ${COLUMNS.map(([, h]) => `${h}@${k}`).join(' | ')} |`, `|---|${COLUMNS.map(() => '---:').join('|')}|`);
    for (const m of r.models) out.push(`| ${m.name} | ${COLUMNS.map(([key]) => fmt(m.metrics[`${key}@${k}`]!, key === 'novelty' ? 2 : 4)).join(' | ')} |`);
  }
  out.push('', '| model | train s (wall) | train s (CPU) | recommend ms/user | peak RSS growth MB | peak allocation MB | model MB | notes |', '|---|---:|---:|---:|---:|---:|---:|---|');
  for (const m of r.models) {
    const notes = Object.entries(m.info)
      .filter(([k]) => k !== 'loss')
      .map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(4) : v}`)
      .join(', ');
    out.push(`| ${m.name} | ${fmt(m.metrics.train_seconds!, 2)} | ${fmt(m.metrics.train_cpu_seconds!, 2)} | ${fmt(m.metrics.recommend_ms_per_user!, 2)} | ${fmt(m.metrics.peak_rss_mb!, 0)} | ${fmt(m.metrics.peak_alloc_mb!, 0)} | ${fmt(m.metrics.model_mb!, 1)} | ${notes} |`);
  }
  return out.join('\n') + '\n';
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '—';
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
