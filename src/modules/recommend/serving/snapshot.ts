import fs from 'node:fs';
import path from 'node:path';
import type { GroupInfo } from './group-popular.ts';

/**
 * A trained model snapshot: what serving needs, precomputed, as typed arrays plus metadata.
 *
 * On disk, one directory per version under `<root>` (`<dataDir>/models/<workspace>/`):
 *
 *   <version>/meta.json    SnapshotMeta (counts, per-model metrics, hybrid weights, array index)
 *   <version>/arrays.bin   every typed array, 8-byte aligned, at the offsets meta.arrays gives
 *   <version>/keys.json    { users: [...user keys], items: [...product ids], names: [...] }
 *   <version>/tops.bin     per user and model, that model's top list (the console's inspector),
 *                          read on demand, never held in memory
 *   CURRENT                the version serving should load (written last, atomically)
 *
 * A version directory is written under a temporary name and renamed into place, then CURRENT is
 * replaced by rename, so a reader never sees a partial snapshot.
 */

export interface ModelReport {
  /** Weight in the hybrid's blend (the hybrid itself: 1). */
  weight: number;
  train_seconds: number;
  peak_rss_mb: number;
  peak_alloc_mb: number;
  model_mb: number;
  /** On the validation split: `ndcg@10`, `recall@10`, `precision@10`, `hit@10`, `coverage@10`. */
  metrics: Record<string, number>;
  info?: Record<string, unknown>;
}

export interface SnapshotMeta {
  format: 1;
  version: string;
  workspaceId: string;
  trainedAt: string;
  /** Latest interaction in the training data. */
  asOf: string | null;
  eventSeq: number;
  counts: Record<string, number>;
  models: Record<string, ModelReport>;
  hybrid: { components: string[]; weights: Record<string, number>; validationNdcg: number };
  validation: { users: number; k: number; split: string };
  /** Models whose top lists are in tops.bin, in order, and the list length. */
  topModels: string[];
  topK: number;
  categories: string[];
  brands: string[];
  trainSeconds: number;
  /** Groups with their own popularity ranking (groupPtr rows), in order; absent in older snapshots. */
  groups?: GroupInfo[];
  arrays: Record<string, { type: ArrayType; offset: number; length: number }>;
}

type ArrayType = 'i32' | 'f32' | 'f64' | 'u8' | 'u16';
type Typed = Int32Array | Float32Array | Float64Array | Uint8Array | Uint16Array;

/** The arrays of a snapshot (CSR-style lists use `<name>Ptr` row pointers). */
export interface SnapshotArrays {
  itemCategory: Int32Array;
  itemBrand: Int32Array;
  itemPrice: Float64Array;
  itemFirstSeen: Float64Array;
  /** Non-personalised popularity (time-decayed) per item, and items in its order (score > 0 only). */
  popScore: Float32Array;
  popOrder: Int32Array;
  /** Per user: precomputed recommendations, best first. Scores are normalised to (0, 1]. */
  candPtr: Int32Array;
  candItem: Int32Array;
  candScore: Float32Array;
  candSources: Uint16Array;
  /** The user's history item the recommendation hangs on (item-kNN's strongest link), or -1. */
  candAnchor: Int32Array;
  candFriendsBought: Uint8Array;
  candFriendsShared: Uint8Array;
  /** Bit 0: a new item brought in by content similarity. */
  candFlags: Uint8Array;
  /** Per user: latest history items (newest first), times and kind bits (view 1, cart 2, order 4, share 8). */
  histPtr: Int32Array;
  histItem: Int32Array;
  histTs: Float64Array;
  histKinds: Uint8Array;
  /** Per user: ordered items and the latest order time. */
  purchPtr: Int32Array;
  purchItem: Int32Array;
  purchTs: Float64Array;
  /** Per item: related items (item-to-item blend), best first. Scores in (0, 1]. */
  nbrPtr: Int32Array;
  nbrItem: Int32Array;
  nbrScore: Float32Array;
  nbrSources: Uint16Array;
  /** Per item: frequently-bought-together rules, most confident first. */
  fbtPtr: Int32Array;
  fbtItem: Int32Array;
  fbtConf: Float32Array;
  fbtLift: Float32Array;
  fbtSupport: Float32Array;
  /** Per item: next-item co-visitation (session model), best first. Scores in (0, 1]. */
  sessPtr: Int32Array;
  sessItem: Int32Array;
  sessScore: Float32Array;
  /** Per group (meta.groups): items by the group's time-decayed popularity, scores scaled to its best = 1. */
  groupPtr: Int32Array;
  groupItem: Int32Array;
  groupScore: Float32Array;
  /** Per key of `groupKeys`: its groups (city, lifecycle, rfm order). */
  gkPtr: Int32Array;
  gkGroup: Int32Array;
}

/** The arrays precompute.ts produces (the per-group ones come from group-popular.ts). */
export type PrecomputedArrays = Omit<SnapshotArrays, 'groupPtr' | 'groupItem' | 'groupScore' | 'gkPtr' | 'gkGroup'>;

export interface Snapshot {
  meta: SnapshotMeta;
  userKeys: string[];
  /** User keys with groups (gkPtr rows): any user with a known city or segment, interactions or not. */
  groupKeys: string[];
  itemIds: string[];
  itemNames: string[];
  arrays: SnapshotArrays;
  /** Per-model top lists for the inspector: [user][model][k] item (Int32) then score (Float32). */
  tops?: { items: Int32Array; scores: Float32Array };
}

const TYPE_OF = (a: Typed): ArrayType =>
  a instanceof Int32Array ? 'i32' : a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : a instanceof Uint16Array ? 'u16' : 'u8';
const CTOR = { i32: Int32Array, f32: Float32Array, f64: Float64Array, u8: Uint8Array, u16: Uint16Array } as const;

/** A fresh version name: UTC time to the second plus 4 random hex digits (sorts by time). */
export function newVersion(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

/** Writes a snapshot as `<root>/<version>` and points CURRENT at it; keeps the newest `keep` versions. */
export function saveSnapshot(root: string, s: Snapshot, keep = 3): string {
  fs.mkdirSync(root, { recursive: true });
  const version = s.meta.version;
  const tmp = path.join(root, `.${version}.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const index: SnapshotMeta['arrays'] = {};
  const fd = fs.openSync(path.join(tmp, 'arrays.bin'), 'w');
  let offset = 0;
  const pad = Buffer.alloc(8);
  for (const [name, a] of Object.entries(s.arrays) as Array<[string, Typed]>) {
    index[name] = { type: TYPE_OF(a), offset, length: a.length };
    fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
    const r = offset % 8;
    if (r) {
      fs.writeSync(fd, pad, 0, 8 - r);
      offset += 8 - r;
    }
  }
  fs.closeSync(fd);
  if (s.tops) {
    const tfd = fs.openSync(path.join(tmp, 'tops.bin'), 'w');
    fs.writeSync(tfd, new Uint8Array(s.tops.items.buffer, s.tops.items.byteOffset, s.tops.items.byteLength));
    fs.writeSync(tfd, new Uint8Array(s.tops.scores.buffer, s.tops.scores.byteOffset, s.tops.scores.byteLength));
    fs.closeSync(tfd);
  }
  fs.writeFileSync(path.join(tmp, 'keys.json'), JSON.stringify({ users: s.userKeys, items: s.itemIds, names: s.itemNames, groupKeys: s.groupKeys }));
  fs.writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify({ ...s.meta, arrays: index }, null, 1));
  const dir = path.join(root, version);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fs.writeFileSync(path.join(root, '.CURRENT.tmp'), version + '\n');
  fs.renameSync(path.join(root, '.CURRENT.tmp'), path.join(root, 'CURRENT'));
  pruneVersions(root, keep, version);
  return dir;
}

function pruneVersions(root: string, keep: number, current: string) {
  const versions = listVersions(root).filter((v) => v !== current);
  for (const v of versions.slice(0, Math.max(0, versions.length - (keep - 1)))) fs.rmSync(path.join(root, v), { recursive: true, force: true });
}

/** Complete versions under root, oldest first. */
export function listVersions(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && fs.existsSync(path.join(root, d.name, 'meta.json')))
    .map((d) => d.name)
    .sort();
}

/** The version CURRENT names (if it exists on disk), else the newest complete one, else null. */
export function currentVersion(root: string): string | null {
  try {
    const v = fs.readFileSync(path.join(root, 'CURRENT'), 'utf8').trim();
    if (v && fs.existsSync(path.join(root, v, 'meta.json'))) return v;
  } catch {
    /* no CURRENT */
  }
  return listVersions(root).at(-1) ?? null;
}

export function readMeta(dir: string): SnapshotMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
}

/** Loads a snapshot directory (tops.bin stays on disk; see readTops). */
export async function loadSnapshot(dir: string): Promise<Snapshot> {
  const meta = readMeta(dir);
  if (meta.format !== 1) throw new Error(`snapshot ${dir}: unknown format ${String(meta.format)}`);
  const [bin, keysText] = await Promise.all([fs.promises.readFile(path.join(dir, 'arrays.bin')), fs.promises.readFile(path.join(dir, 'keys.json'), 'utf8')]);
  // typed-array views need an aligned start: copy when the Buffer is a slice of a pool
  const buf = bin.byteOffset % 8 === 0 ? bin.buffer : bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const base = bin.byteOffset % 8 === 0 ? bin.byteOffset : 0;
  const arrays: Record<string, Typed> = {};
  for (const [name, a] of Object.entries(meta.arrays)) arrays[name] = new CTOR[a.type](buf, base + a.offset, a.length);
  const keys = JSON.parse(keysText) as { users: string[]; items: string[]; names: string[]; groupKeys?: string[] };
  return { meta, userKeys: keys.users, itemIds: keys.items, itemNames: keys.names, groupKeys: keys.groupKeys ?? [], arrays: shaped(arrays) };
}

/**
 * The arrays as one object literal with every field in a fixed order: an object built key by
 * key from the file's index can end up a slow (dictionary) object, and serving reads these
 * fields on every request.
 */
function shaped(raw: Record<string, Typed>): SnapshotArrays {
  const get = (name: string): Typed => {
    const a = raw[name];
    if (!a) throw new Error(`snapshot: array ${name} is missing`);
    return a;
  };
  /** Arrays added after format 1 was first written: empty (one zero row pointer) when absent. */
  const opt = (name: string, empty: Typed): Typed => raw[name] ?? empty;
  return {
    itemCategory: get('itemCategory') as SnapshotArrays['itemCategory'],
    itemBrand: get('itemBrand') as SnapshotArrays['itemBrand'],
    itemPrice: get('itemPrice') as SnapshotArrays['itemPrice'],
    itemFirstSeen: get('itemFirstSeen') as SnapshotArrays['itemFirstSeen'],
    popScore: get('popScore') as SnapshotArrays['popScore'],
    popOrder: get('popOrder') as SnapshotArrays['popOrder'],
    candPtr: get('candPtr') as SnapshotArrays['candPtr'],
    candItem: get('candItem') as SnapshotArrays['candItem'],
    candScore: get('candScore') as SnapshotArrays['candScore'],
    candSources: get('candSources') as SnapshotArrays['candSources'],
    candAnchor: get('candAnchor') as SnapshotArrays['candAnchor'],
    candFriendsBought: get('candFriendsBought') as SnapshotArrays['candFriendsBought'],
    candFriendsShared: get('candFriendsShared') as SnapshotArrays['candFriendsShared'],
    candFlags: get('candFlags') as SnapshotArrays['candFlags'],
    histPtr: get('histPtr') as SnapshotArrays['histPtr'],
    histItem: get('histItem') as SnapshotArrays['histItem'],
    histTs: get('histTs') as SnapshotArrays['histTs'],
    histKinds: get('histKinds') as SnapshotArrays['histKinds'],
    purchPtr: get('purchPtr') as SnapshotArrays['purchPtr'],
    purchItem: get('purchItem') as SnapshotArrays['purchItem'],
    purchTs: get('purchTs') as SnapshotArrays['purchTs'],
    nbrPtr: get('nbrPtr') as SnapshotArrays['nbrPtr'],
    nbrItem: get('nbrItem') as SnapshotArrays['nbrItem'],
    nbrScore: get('nbrScore') as SnapshotArrays['nbrScore'],
    nbrSources: get('nbrSources') as SnapshotArrays['nbrSources'],
    fbtPtr: get('fbtPtr') as SnapshotArrays['fbtPtr'],
    fbtItem: get('fbtItem') as SnapshotArrays['fbtItem'],
    fbtConf: get('fbtConf') as SnapshotArrays['fbtConf'],
    fbtLift: get('fbtLift') as SnapshotArrays['fbtLift'],
    fbtSupport: get('fbtSupport') as SnapshotArrays['fbtSupport'],
    sessPtr: get('sessPtr') as SnapshotArrays['sessPtr'],
    sessItem: get('sessItem') as SnapshotArrays['sessItem'],
    sessScore: get('sessScore') as SnapshotArrays['sessScore'],
    groupPtr: opt('groupPtr', new Int32Array(1)) as SnapshotArrays['groupPtr'],
    groupItem: opt('groupItem', new Int32Array(0)) as SnapshotArrays['groupItem'],
    groupScore: opt('groupScore', new Float32Array(0)) as SnapshotArrays['groupScore'],
    gkPtr: opt('gkPtr', new Int32Array(1)) as SnapshotArrays['gkPtr'],
    gkGroup: opt('gkGroup', new Int32Array(0)) as SnapshotArrays['gkGroup'],
  };
}

/** One user's top lists per model (from tops.bin), or null when the snapshot has none. */
export async function readTops(dir: string, meta: SnapshotMeta, nUsers: number, user: number): Promise<Record<string, Array<{ item: number; score: number }>> | null> {
  const file = path.join(dir, 'tops.bin');
  if (!meta.topModels.length || !fs.existsSync(file)) return null;
  const per = meta.topModels.length * meta.topK;
  const fh = await fs.promises.open(file, 'r');
  try {
    const items = new Int32Array(per), scores = new Float32Array(per);
    await fh.read(new Uint8Array(items.buffer), 0, per * 4, user * per * 4);
    await fh.read(new Uint8Array(scores.buffer), 0, per * 4, nUsers * per * 4 + user * per * 4);
    const out: Record<string, Array<{ item: number; score: number }>> = {};
    meta.topModels.forEach((m, c) => {
      const list: Array<{ item: number; score: number }> = [];
      for (let k = 0; k < meta.topK; k++) {
        const i = items[c * meta.topK + k]!;
        if (i >= 0) list.push({ item: i, score: scores[c * meta.topK + k]! });
      }
      out[m] = list;
    });
    return out;
  } finally {
    await fh.close();
  }
}
