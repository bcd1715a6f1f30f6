import os from 'node:os';
import { loadDataset } from '../datasets/index.ts';
import type { ModelParams } from '../models/registry.ts';
import { splitDataset, type SplitKind } from '../split.ts';
import { evaluateSplit, type EvaluationResult } from './evaluate.ts';
import type { ReportMeta } from './report.ts';

export interface RunEvaluationOptions {
  dataset: string;
  split: SplitKind;
  testFraction: number;
  leaveN: number;
  seed: number;
  k: number[];
  models: string[];
  params?: ModelParams;
  minUserItems: number;
  minItemTrainUsers: number;
  /** Default: up to 2 (the machine's cores). */
  threads?: number;
  catalogOnly?: boolean;
  log?: (line: string) => void;
}

/** Loads a dataset directory, splits it and evaluates the models: what `liebian evaluate` runs. */
export async function runEvaluation(o: RunEvaluationOptions): Promise<{ meta: ReportMeta; result: EvaluationResult }> {
  const log = o.log ?? (() => undefined);
  const threads = o.threads ?? Math.min(2, os.availableParallelism());
  const t0 = performance.now();
  const d = loadDataset(o.dataset);
  log(`loaded ${d.name}: ${d.userIds.length} users, ${d.itemIds.length} items, ${d.interactions.indices.length} interactions${d.friends ? `, ${d.friends.indices.length / 2} friendships` : ''}${d.times ? ', timestamps' : ''} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const split = splitDataset(d, { kind: o.split, testFraction: o.testFraction, leaveN: o.leaveN, seed: o.seed, minUserItems: o.minUserItems, minItemTrainUsers: o.minItemTrainUsers });
  log(`split ${o.split}: ${split.testUsers.length} test users, ${split.itemMap.length} items kept, ${split.train.indices.length} training / ${split.test.indices.length} test interactions`);
  const result = await evaluateSplit(split, { k: o.k, models: o.models, params: o.params, threads, seed: o.seed, catalogOnly: o.catalogOnly, log });
  const meta: ReportMeta = {
    dataset: d.name,
    split: o.split,
    testFraction: o.split === 'leave-last-n' ? undefined : o.testFraction,
    leaveN: o.split === 'leave-last-n' ? o.leaveN : undefined,
    seed: o.seed,
    k: o.k,
    minUserItems: o.minUserItems,
    minItemTrainUsers: o.minItemTrainUsers,
    threads,
  };
  return { meta, result };
}
