import fs from 'node:fs';
import path from 'node:path';
import { loadAmazon } from './amazon.ts';
import { loadGeneric } from './generic.ts';
import { loadLastfm } from './lastfm.ts';
import { loadTaobao } from './taobao.ts';
import type { Dataset } from './types.ts';

export type { Dataset } from './types.ts';
export { writeGenericDataset } from './generic.ts';
export { loadLastfm, loadAmazon, loadTaobao, loadGeneric };

/** The dataset layouts `loadDataset` recognises, by a file that identifies each. */
export const DATASET_KINDS = {
  lastfm: 'user_artists.dat',
  amazon: 'user_item.dat',
  taobao: 'buy.train.txt',
  generic: 'interactions.tsv',
} as const;

export type DatasetKind = keyof typeof DATASET_KINDS;

/** Which layout a directory holds, or undefined. */
export function detectDataset(dir: string): DatasetKind | undefined {
  for (const [kind, file] of Object.entries(DATASET_KINDS)) if (fs.existsSync(path.join(dir, file))) return kind as DatasetKind;
  return undefined;
}

/** Loads a dataset directory, detecting its layout (throws naming the expected files if none). */
export function loadDataset(dir: string): Dataset {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
  const kind = detectDataset(dir);
  switch (kind) {
    case 'lastfm': return loadLastfm(dir);
    case 'amazon': return loadAmazon(dir);
    case 'taobao': return loadTaobao(dir);
    case 'generic': return loadGeneric(dir);
    default: throw new Error(`unrecognised dataset in ${dir}: expected one of ${Object.values(DATASET_KINDS).join(', ')}`);
  }
}
