import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../platform/logger.ts';
import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { eventQueries, eventStoreCursor } from '../modules/events/index.ts';
import {
  answerBuffer, answerObject, CatalogView, compileRules, type Answer, currentVersion, LiveActivity, loadSnapshot, readTops, recommendStore, rulesOf, serve, suggestBundle, ServingModel, signToken,
  verifyToken, type CompiledRules, type Lang, type LiveProduct, type Placement, type RecommendSettings, type TrackingClaims, type TrainProgress,
} from '../modules/recommend/index.ts';
import { readCatalog } from './recommend-data.ts';
import { modelRoot, trainWorkspace, type TrainOutcome } from './recommend-train.ts';

export interface RecommendDeps {
  op: OpStore;
  es: EventStoreDb;
  log: Logger;
  dataDir: string;
}

export interface RecommendServiceOptions {
  /** Train on each workspace's schedule (settings.training.intervalMinutes). Default true. */
  schedule?: boolean;
  /** First schedule check after start, then every checkEveryMs. */
  firstCheckMs?: number;
  checkEveryMs?: number;
  /** Live activity, opt-outs, settings edited elsewhere, new snapshot versions on disk. */
  pollMs?: number;
  /** Full catalog reload (stock, prices) per workspace. */
  catalogEveryMs?: number;
  /** Train in a worker thread (default) or on the event loop (tests). */
  worker?: boolean;
}

/** A workspace's serving state. Requests read it synchronously; loaders replace fields whole. */
export interface WorkspaceState {
  readonly ws: string;
  model: ServingModel | null;
  view: CatalogView | null;
  rules: Partial<Record<Placement, CompiledRules>>;
  products: LiveProduct[] | null;
  settings: RecommendSettings;
  secret: Buffer;
  training: { running: boolean; startedAt: string | null; progress: string | null; last: { at: string; outcome: string; message: string; version?: string } | null; skippedAtSeq: number };
}

export interface RecommendParams {
  userId?: string;
  anonymousId?: string;
  placement: Placement;
  productIds: string[];
  n: number;
  personalization: boolean;
  exclude: string[];
  lang: Lang;
  /** The visitor's city (request context): its popularity for a cold or anonymous visitor. */
  city?: string;
}

export type RecommendAnswer = Answer;

const LIVE_BATCH = 5000;
/** At start, live activity is read back at most this many outbox rows. */
const LIVE_BACKLOG = 200_000;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

/**
 * Serving recommendations in the server: per workspace the current model snapshot (hot-swapped
 * when a new version is written), the live catalog (stock, prices), settings, opt-outs and live
 * activity since training, plus training on schedule in a worker thread. See docs/recommend.md.
 */
export class RecommendService {
  private states = new Map<string, Promise<WorkspaceState>>();
  private ready = new Map<string, WorkspaceState>();
  private live = new Map<string, LiveActivity>();
  private optOuts = new Map<string, Set<string>>();
  private liveSeq = -1;
  private settingsSeen = new Date(0);
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private inflight = new Set<Promise<unknown>>();
  private abort = new AbortController();
  readonly opts: Required<RecommendServiceOptions>;

  constructor(private readonly deps: RecommendDeps, opts: RecommendServiceOptions = {}) {
    this.opts = { schedule: true, firstCheckMs: 60_000, checkEveryMs: 60_000, pollMs: 2000, catalogEveryMs: 30_000, worker: true, ...opts };
  }

  /** Loads every workspace that has a snapshot on disk and starts the background loops. */
  async start(): Promise<void> {
    const root = path.join(this.deps.dataDir, 'models');
    const wss = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => currentVersion(path.join(root, d)) !== null) : [];
    this.optOuts = await recommendStore.optedOut(this.deps.op);
    for (const ws of wss) await this.workspace(ws);
    this.loop(() => this.poll(), this.opts.pollMs, this.opts.pollMs);
    this.loop(() => this.refreshCatalogs(), this.opts.catalogEveryMs, this.opts.catalogEveryMs);
    if (this.opts.schedule) this.loop(() => this.checkSchedule(), this.opts.firstCheckMs, this.opts.checkEveryMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.inflight]);
  }

  private loop(step: () => Promise<unknown>, firstMs: number, everyMs: number) {
    const run = async () => {
      if (this.stopped) return;
      const p = step().catch((e: unknown) => this.deps.log.warn({ err: (e as Error).message }, 'recommendations: background step failed'));
      this.inflight.add(p);
      await p;
      this.inflight.delete(p);
      if (!this.stopped) this.timers.push(setTimeout(run, everyMs).unref());
    };
    this.timers.push(setTimeout(run, firstMs).unref());
  }

  /** The workspace's state, loaded on first use (settings, secret, catalog, current snapshot). */
  workspace(ws: string): Promise<WorkspaceState> {
    let p = this.states.get(ws);
    if (!p) {
      p = this.loadWorkspace(ws);
      this.states.set(ws, p);
      p.then((st) => this.ready.set(ws, st), () => this.states.delete(ws));
    }
    return p;
  }

  /** The workspace's state if already loaded (no promise on the hot path). */
  loaded(ws: string): WorkspaceState | undefined {
    return this.ready.get(ws);
  }

  private async loadWorkspace(ws: string): Promise<WorkspaceState> {
    const [{ settings }, secret] = await Promise.all([recommendStore.readSettings(this.deps.op, ws), recommendStore.tokenSecret(this.deps.op, ws)]);
    const st: WorkspaceState = { ws, model: null, view: null, rules: {}, products: null, settings, secret, training: { running: false, startedAt: null, progress: null, last: null, skippedAtSeq: -1 } };
    await this.reload(st);
    return st;
  }

  /** Loads the version CURRENT names, if it is not the one being served, and swaps it in. */
  async reload(st: WorkspaceState): Promise<boolean> {
    const root = modelRoot(this.deps.dataDir, st.ws);
    const v = currentVersion(root);
    if (!v || v === st.model?.version) return false;
    const dir = path.join(root, v);
    const snap = await loadSnapshot(dir);
    const model = new ServingModel(snap, dir);
    if (!st.products) st.products = await this.fetchCatalog(st.ws);
    const view = new CatalogView(model, st.products);
    // one synchronous swap: a request in flight keeps the objects it already holds
    st.model = model;
    st.view = view;
    st.rules = {};
    this.deps.log.info({ workspace: st.ws, version: v }, 'recommendations: model loaded');
    return true;
  }

  private fetchCatalog(ws: string): Promise<LiveProduct[]> {
    return readCatalog(this.deps.op, ws, yieldNow).then((ps) => ps.map((p) => ({ productId: p.product_id, name: p.name, category: p.category, brand: p.brand, price: p.price === undefined ? undefined : Number(p.price), stock: p.stock })));
  }

  /** Re-reads the catalog (stock, prices, categories) and rebuilds the rules on it. */
  async refreshCatalog(ws: string): Promise<void> {
    const st = await this.workspace(ws);
    st.products = await this.fetchCatalog(ws);
    if (st.model) {
      st.view = new CatalogView(st.model, st.products);
      st.rules = {};
    }
  }

  private async refreshCatalogs() {
    for (const p of this.states.values()) {
      const st = await p;
      if (st.model) await this.refreshCatalog(st.ws);
    }
  }

  rulesFor(st: WorkspaceState, placement: Placement): CompiledRules | null {
    if (!st.model || !st.view) return null;
    let r = st.rules[placement];
    if (!r) st.rules[placement] = r = compileRules(st.view, st.settings.placements[placement]);
    return r;
  }

  isOptedOut(ws: string, userKey: string | null): boolean {
    return userKey !== null && (this.optOuts.get(ws)?.has(userKey) ?? false);
  }

  /**
   * One recommendation request, synchronously from memory. An opted-out user, or
   * `personalization: false`, gets the non-personalised ranking, and nothing about the user is
   * read (no history, no purchases, no live activity).
   */
  recommend(st: WorkspaceState, p: RecommendParams, now = Date.now()): RecommendAnswer {
    const a = this.answer(st, p, now);
    return a.model && a.view ? answerObject(a.model, a.view, a.items, p.lang, a.personalised, a.token) : { items: [], model: { version: null }, personalized: a.personalised, trackingToken: a.token };
  }

  /** The same answer as UTF-8 JSON bytes (the HTTP hot path: assembled from pre-encoded pieces). */
  recommendBytes(st: WorkspaceState, p: RecommendParams, now = Date.now()): Buffer {
    const a = this.answer(st, p, now);
    return a.model && a.view ? answerBuffer(a.model, a.view, a.items, p.lang, a.personalised, a.token) : Buffer.from(JSON.stringify({ items: [], model: { version: null }, personalized: a.personalised, trackingToken: a.token }));
  }

  private answer(st: WorkspaceState, p: RecommendParams, now: number) {
    const userKey = p.userId ? `u:${p.userId}` : p.anonymousId ? `a:${p.anonymousId}` : null;
    const personalised = p.personalization && !this.isOptedOut(st.ws, userKey);
    const model = st.model, view = st.view, rules = this.rulesFor(st, p.placement);
    const claims = { version: model?.version ?? null, placement: p.placement, user: personalised ? userKey : null, personalised, at: now };
    if (!model || !view || !rules) return { model: null, view: null, items: [], personalised, token: signToken(st.secret, { ...claims, items: [], sources: [] }) };
    const live = personalised && userKey ? this.live.get(st.ws)?.get(userKey) : undefined;
    const r = serve(model, view, rules, { placement: p.placement, userKey, context: p.productIds, n: p.n, personalised, exclude: p.exclude, nowSec: now / 1000, city: p.city }, live);
    const items = r.items;
    let itemsJson = '', sourcesJson = '';
    for (let k = 0; k < items.length; k++) {
      itemsJson += (k ? ',' : '') + model.idJson(items[k]!.item);
      sourcesJson += (k ? ',' : '') + items[k]!.sources;
    }
    const token = signToken(st.secret, claims, { items: itemsJson, sources: sourcesJson });
    return { model, view, items, personalised, token };
  }

  /** Verifies a tracking token and records feedback once per (response, type, product). */
  async feedback(st: WorkspaceState, token: string, type: 'impression' | 'click', productId: string | undefined, now = Date.now()): Promise<{ claims: TrackingClaims; recorded: number } | { error: string; field: string }> {
    const c = verifyToken(st.secret, token);
    if (typeof c === 'string') return { error: `the tracking token is invalid: ${c}`, field: 'trackingToken' };
    if (now - c.at > st.settings.tokenTtlHours * 3_600_000) return { error: `the tracking token expired (older than ${st.settings.tokenTtlHours} h)`, field: 'trackingToken' };
    if (type === 'click' && !productId) return { error: 'a click names the productId clicked', field: 'productId' };
    if (productId !== undefined && !c.items.includes(productId)) return { error: `product "${productId}" was not in that response`, field: 'productId' };
    const products = productId !== undefined ? [productId] : c.items;
    const recorded = products.length ? await recommendStore.recordFeedback(this.deps.op, st.ws, c, type, products) : 0;
    return { claims: c, recorded };
  }

  async setOptOut(ws: string, userKey: string, optOut: boolean): Promise<string> {
    const at = await recommendStore.setOptOut(this.deps.op, ws, userKey, optOut);
    // honoured at once on this node; other nodes reload opt-outs every poll
    let s = this.optOuts.get(ws);
    if (!s) this.optOuts.set(ws, (s = new Set()));
    if (optOut) s.add(userKey);
    else s.delete(userKey);
    return at;
  }

  async saveSettings(st: WorkspaceState, settings: RecommendSettings): Promise<string> {
    const at = await recommendStore.writeSettings(this.deps.op, st.ws, settings);
    st.settings = settings;
    st.rules = {};
    return at;
  }

  /** The inspector: each model's own list, the blend as served, the non-personalised list, the user's history. */
  async inspect(st: WorkspaceState, userKey: string, lang: Lang, n: number) {
    const model = st.model, view = st.view;
    if (!model || !view) return null;
    const a = model.snapshot.arrays;
    const u = model.userIndex.get(userKey);
    const item = (i: number) => ({ productId: model.snapshot.itemIds[i]!, name: view.names[i] || null, category: view.categories[view.category[i]!] ?? null, price: Number.isNaN(view.price[i]!) ? null : view.price[i]!, inStock: view.inStock[i] === 1 });
    const KINDS = ['view', 'cart', 'order', 'share'];
    const history: Array<Record<string, unknown>> = [];
    const liveSignals = this.live.get(st.ws)?.get(userKey);
    if (liveSignals) {
      for (const v of [...liveSignals.views].reverse()) history.push({ ...(model.itemIndex.has(v.productId) ? item(model.itemIndex.get(v.productId)!) : { productId: v.productId }), kinds: ['view'], at: new Date(v.ts * 1000).toISOString(), live: true });
      for (const v of liveSignals.purchases) history.push({ ...(model.itemIndex.has(v.productId) ? item(model.itemIndex.get(v.productId)!) : { productId: v.productId }), kinds: ['order'], at: new Date(v.ts * 1000).toISOString(), live: true });
    }
    if (u !== undefined) for (let q = a.histPtr[u]!; q < a.histPtr[u + 1]!; q++) {
      history.push({ ...item(a.histItem[q]!), kinds: KINDS.filter((_, k) => a.histKinds[q]! & (1 << k)), at: new Date(a.histTs[q]! * 1000).toISOString(), live: false });
    }
    const tops = u !== undefined && model.dir ? await readTops(model.dir, model.snapshot.meta, model.snapshot.userKeys.length, u) : null;
    const models: Record<string, Array<Record<string, unknown>>> = {};
    for (const [m, list] of Object.entries(tops ?? {})) models[m] = list.map((t) => ({ ...item(t.item), score: Math.round(t.score * 1000) / 1000 }));
    const [id, kind] = userKey.startsWith('u:') ? [userKey.slice(2), 'userId'] : [userKey.slice(2), 'anonymousId'];
    const ask = (personalization: boolean) => this.recommend(st, { [kind]: id, placement: 'home', productIds: [], n, personalization, exclude: [], lang });
    const decorate = (r: RecommendAnswer) => r.items.map((x) => ({ ...item(model.itemIndex.get(x.productId)!), score: x.score, sources: x.sources, reason: x.reason }));
    return {
      user: { key: userKey, inModel: u !== undefined, precomputed: u !== undefined && a.candPtr[u + 1]! > a.candPtr[u]!, optedOut: this.isOptedOut(st.ws, userKey) },
      model: { version: model.version },
      history: history.slice(0, 60),
      models,
      blend: decorate(ask(true)),
      nonPersonalised: decorate(ask(false)),
    };
  }

  /**
   * Frequently bought together for one product: its association rules (support, confidence,
   * lift; most confident first, the first `n`) and a bundle suggestion of up to `size` items
   * (suggestBundle), both among products the cart placement may show (in stock, its filters).
   * Null before any model is trained; an unknown product has no rules.
   */
  bundles(st: WorkspaceState, productId: string, n: number, size: number) {
    const model = st.model, view = st.view, rules = this.rulesFor(st, 'cart');
    if (!model || !view || !rules) return null;
    const a = model.snapshot.arrays;
    const i = model.itemIndex.get(productId);
    const item = (j: number) => ({ productId: model.snapshot.itemIds[j]!, name: view.names[j] || null, price: Number.isNaN(view.price[j]!) ? null : view.price[j]! });
    const keep = (j: number) => rules.eligible[j] === 1;
    if (i === undefined) return { productId, known: false, model: { version: model.version }, baskets: model.snapshot.meta.counts.baskets ?? null, rules: [], bundle: { items: [item0(productId)], price: null } };
    const found = rulesOf(a, i, keep).slice(0, n);
    const b = suggestBundle(a, i, size, keep);
    const prices = b.items.map((j) => view.price[j]!);
    return {
      productId,
      known: true,
      model: { version: model.version },
      baskets: model.snapshot.meta.counts.baskets ?? null,
      rules: found.map((r) => ({ ...item(r.item), support: r.support, confidence: round4(r.confidence), lift: round4(r.lift) })),
      bundle: { items: b.items.map((j, k) => ({ ...item(j), together: round4(b.together[k]!) })), price: prices.some(Number.isNaN) ? null : Math.round(prices.reduce((x, y) => x + y, 0) * 100) / 100 },
    };
  }

  /** What is served and how training went (the console's model page). */
  status(st: WorkspaceState) {
    const m = st.model?.snapshot.meta;
    return {
      version: m?.version ?? null,
      trainedAt: m?.trainedAt ?? null,
      asOf: m?.asOf ?? null,
      eventSeq: m?.eventSeq ?? null,
      counts: m?.counts ?? null,
      models: m?.models ?? null,
      hybrid: m?.hybrid ?? null,
      validation: m?.validation ?? null,
      trainSeconds: m?.trainSeconds ?? null,
      training: { running: st.training.running, startedAt: st.training.startedAt, progress: st.training.progress, last: st.training.last, intervalMinutes: st.settings.training.intervalMinutes },
      live: { users: this.live.get(st.ws)?.size ?? 0 },
    };
  }

  /**
   * Trains the workspace now (unless a training is running: then false). Resolves when done;
   * the new version is being served by then. Not enough data is recorded as skipped.
   */
  async train(ws: string, trigger: 'schedule' | 'api', onProgress?: (p: TrainProgress) => void): Promise<TrainOutcome | false> {
    const st = await this.workspace(ws);
    if (st.training.running) return false;
    st.training.running = true;
    st.training.startedAt = new Date().toISOString();
    st.training.progress = 'starting';
    const log = this.deps.log;
    try {
      const out = await trainWorkspace(this.deps, ws, {
        threads: 1,
        worker: this.opts.worker,
        pause: yieldNow,
        signal: this.abort.signal,
        onProgress: (p) => {
          st.training.progress = p.message;
          onProgress?.(p);
        },
      });
      if (out.outcome === 'trained') {
        await this.reload(st);
        st.training.last = { at: new Date().toISOString(), outcome: 'trained', message: `trained by ${trigger} in ${out.result.meta.trainSeconds} s`, version: out.result.version };
        log.info({ workspace: ws, version: out.result.version, seconds: out.result.meta.trainSeconds }, 'recommendations: trained');
      } else {
        st.training.skippedAtSeq = out.eventSeq;
        st.training.last = { at: new Date().toISOString(), outcome: 'skipped', message: out.reason };
        log.info({ workspace: ws, reason: out.reason }, 'recommendations: training skipped');
      }
      return out;
    } catch (e) {
      st.training.last = { at: new Date().toISOString(), outcome: 'failed', message: (e as Error).message };
      log.warn({ workspace: ws, err: (e as Error).message }, 'recommendations: training failed');
      throw e;
    } finally {
      st.training.running = false;
      st.training.progress = null;
    }
  }

  /** Trains each workspace whose model is older than its interval and has new events since. */
  private async checkSchedule() {
    for (const h of await eventQueries.workspaceEventHeads(this.deps.es)) {
      if (this.stopped) return;
      const st = await this.workspace(h.workspaceId);
      const every = st.settings.training.intervalMinutes;
      if (every === 0 || st.training.running) continue;
      const meta = st.model?.snapshot.meta;
      if (meta && (Date.now() - Date.parse(meta.trainedAt) < every * 60_000 || h.maxSeq <= meta.eventSeq)) continue;
      if (st.training.skippedAtSeq === h.maxSeq) continue;
      await this.train(h.workspaceId, 'schedule').catch(() => undefined);
    }
  }

  /** Live activity since training, opt-outs and settings changed on other nodes, new versions on disk. */
  private async poll() {
    if (this.liveSeq < 0) {
      // from the oldest served snapshot's position (what it has not seen), at most LIVE_BACKLOG back
      const cursor = await eventStoreCursor(this.deps.es);
      let from = cursor;
      for (const p of this.states.values()) {
        const m = (await p).model;
        if (m) from = Math.min(from, m.snapshot.meta.eventSeq);
      }
      this.liveSeq = Math.max(from, cursor - LIVE_BACKLOG, 0);
    }
    for (let round = 0; round < 20; round++) {
      const rows = await eventQueries.recentInteractions(this.deps.es, this.liveSeq, LIVE_BATCH);
      for (const r of rows) {
        let l = this.live.get(r.workspaceId);
        if (!l) this.live.set(r.workspaceId, (l = new LiveActivity()));
        l.add(r.userKey, r.productId, r.kind, r.ts);
        this.liveSeq = Math.max(this.liveSeq, r.seq);
      }
      if (rows.length < LIVE_BATCH) break;
      await yieldNow();
    }
    this.optOuts = await recommendStore.optedOut(this.deps.op);
    for (const c of await recommendStore.settingsChangedSince(this.deps.op, this.settingsSeen)) {
      if (c.updatedAt > this.settingsSeen) this.settingsSeen = c.updatedAt;
      const p = this.states.get(c.workspaceId);
      if (!p) continue;
      const st = await p;
      if (JSON.stringify(st.settings) !== JSON.stringify(c.settings)) {
        st.settings = c.settings;
        st.rules = {};
      }
    }
    for (const p of this.states.values()) await this.reload(await p);
  }

  /** Waits until live activity has caught up with the event store (tests). */
  async pollNow(): Promise<void> {
    await this.poll();
  }
}

const services = new WeakMap<object, RecommendService>();

/** The service started for an engine (by the HTTP routes), e.g. for tests. */
export function recommendServiceOf(engine: object): RecommendService | undefined {
  return services.get(engine);
}

export function registerRecommendService(engine: object, svc: RecommendService): void {
  services.set(engine, svc);
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
const item0 = (productId: string) => ({ productId, name: null, price: null, together: 1 });
