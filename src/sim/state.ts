/** Mutable simulation state and the message builders every generator step uses. */
import { DayBuffer } from './buffer.ts';
import type { Catalog } from './catalog.ts';
import { PLATFORMS } from './data.ts';
import type { Graph } from './graph.ts';
import { Rng } from './rng.ts';
import type { SegmentMessage } from './types.ts';
import type { Users } from './users.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Ident {
  userId?: string;
  anonymousId: string;
  /** index into PLATFORMS */
  platform: number;
}

export interface ShareRef {
  id: string;
  sharer: number;
  product: number;
  t: number;
  gen: number;
}

export type Task =
  /** a prebuilt message; if `user` is set it is dropped once that user has churned */
  | { kind: 'msg'; t: number; msg: SegmentMessage; user?: number }
  | { kind: 'open'; t: number; user: number; share: ShareRef }
  | { kind: 'review'; t: number; user: number; product: number; orderId: string; refunded: boolean };

export interface World {
  seed: number;
  users: Users;
  graph: Graph;
  catalog: Catalog;
  startMs: number;
  days: number;
}

const POOL = 16;

export class State {
  readonly rng: Rng;
  readonly buf = new DayBuffer();
  readonly seedTag: string;
  day = 0;
  dayStart = 0;
  dayEnd = 0;
  readonly endMs: number;
  /** when each user signed up (Infinity = not yet) */
  readonly joinTime: Float64Array;
  readonly lastCheckin: Int32Array;
  readonly streak: Uint16Array;
  readonly deviceLinked: Uint8Array;
  private counters = { cart: 0, order: 0, share: 0, invite: 0, review: 0, gb: 0, visitor: 0 };
  private pending = new Map<number, Task[]>();
  today: Task[] = [];
  /** recent shares per community (ring buffers), used for share-driven signups */
  readonly pools: ShareRef[][];
  private poolPos: Int32Array;

  constructor(readonly w: World) {
    this.rng = new Rng(w.seed, 0xe7e47);
    this.seedTag = w.seed.toString(36);
    this.endMs = w.startMs + w.days * DAY;
    const n = w.users.n;
    this.joinTime = new Float64Array(n).fill(Infinity);
    this.lastCheckin = new Int32Array(n).fill(-1);
    this.streak = new Uint16Array(n);
    this.deviceLinked = new Uint8Array(n);
    this.pools = Array.from({ length: w.users.communities + 1 }, () => []);
    this.poolPos = new Int32Array(w.users.communities + 1);
  }

  beginDay(day: number): Task[] {
    this.day = day;
    this.dayStart = this.w.startMs + day * DAY;
    this.dayEnd = this.dayStart + DAY;
    this.buf.reset(this.dayStart, this.dayEnd);
    const tasks = this.pending.get(day) ?? [];
    this.pending.delete(day);
    this.today = tasks;
    return tasks;
  }

  // ---- ids -------------------------------------------------------------------------------
  cartId(): string {
    return 'cart-' + this.seedTag + '-' + (++this.counters.cart).toString(36);
  }
  orderId(): string {
    return 'ord-' + this.seedTag + '-' + String(++this.counters.order).padStart(7, '0');
  }
  shareId(): string {
    return 'sh' + this.seedTag + '_' + (++this.counters.share).toString(36).padStart(6, '0');
  }
  inviteId(): string {
    return 'inv-' + this.seedTag + '-' + (++this.counters.invite).toString(36);
  }
  reviewId(): string {
    return 'rev-' + this.seedTag + '-' + (++this.counters.review).toString(36);
  }
  groupBuyId(): string {
    return 'gb-' + this.seedTag + '-' + (++this.counters.gb).toString(36);
  }
  visitorAnonId(): string {
    return 'anon-v' + this.seedTag + '-' + (++this.counters.visitor).toString(36);
  }

  // ---- time ------------------------------------------------------------------------------
  /** t advanced by dt (ms), kept inside the current day. */
  adv(t: number, dt: number): number {
    return Math.min(this.dayEnd - 1, t + Math.max(1, Math.round(dt)));
  }
  /** t + a human-ish gap of seconds (log-normal around `median` seconds). */
  gap(t: number, medianSec: number): number {
    return this.adv(t, 1000 * medianSec * this.rng.logNormal(0, 0.6));
  }

  active(u: number, t: number): boolean {
    const cd = this.w.users.churnDay[u]!;
    return this.joinTime[u]! < t && (cd < 0 || this.day < cd);
  }

  schedule(task: Task): void {
    if (task.t >= this.endMs) return;
    const d = Math.floor((task.t - this.w.startMs) / DAY);
    if (d <= this.day) {
      task.t = Math.max(task.t, this.dayStart);
      this.today.push(task);
    } else {
      let list = this.pending.get(d);
      if (!list) this.pending.set(d, (list = []));
      list.push(task);
    }
  }

  // ---- share pools ---------------------------------------------------------------------------
  remember(s: ShareRef): void {
    const c = this.w.users.community[s.sharer] ?? 0;
    for (const k of [c, this.pools.length - 1]) {
      const pool = this.pools[k]!;
      if (pool.length < POOL) pool.push(s);
      else pool[this.poolPos[k]! % POOL] = s;
      this.poolPos[k]!++;
    }
  }

  // ---- message builders ------------------------------------------------------------------
  context(platform: number): Record<string, unknown> {
    const p = PLATFORMS[platform];
    if (p === 'ios' || p === 'android') {
      return {
        library: { name: p === 'ios' ? 'analytics-ios' : 'analytics-android', version: '4.1.0' },
        app: { name: '裂变商城', version: '3.2.1' },
        os: { name: p === 'ios' ? 'iOS' : 'Android' },
        device: { type: p },
        locale: 'zh-CN',
      };
    }
    if (p === 'miniprogram') return { library: { name: 'liebian-miniprogram', version: '1.0.0' }, locale: 'zh-CN', channel: 'wechat' };
    return { library: { name: 'analytics.js', version: '5.2.0' }, locale: 'zh-CN' };
  }

  track(t: number, id: Ident, event: string, properties: Record<string, unknown>): void {
    const context = this.context(id.platform);
    const m: SegmentMessage =
      id.userId !== undefined
        ? { type: 'track', messageId: '', userId: id.userId, anonymousId: id.anonymousId, event, properties, context, timestamp: '' }
        : { type: 'track', messageId: '', anonymousId: id.anonymousId, event, properties, context, timestamp: '' };
    this.buf.push(t, m);
  }

  /** A `page` (web / mini program) or `screen` (apps) view. */
  view(t: number, id: Ident, name: string, path: string, campaign?: Record<string, unknown>): void {
    const context = this.context(id.platform);
    const p = PLATFORMS[id.platform];
    const app = p === 'ios' || p === 'android';
    const properties: Record<string, unknown> = { path, title: name };
    if (!app) {
      const url = 'https://shop.example.com' + path;
      properties.url = url;
      context.page = { path, url, title: name };
    }
    if (campaign) {
      context.campaign = campaign;
      if (campaign.share_id !== undefined) properties.share_id = campaign.share_id;
    }
    const type = app ? 'screen' : 'page';
    const m: SegmentMessage =
      id.userId !== undefined
        ? { type, messageId: '', userId: id.userId, anonymousId: id.anonymousId, name, properties, context, timestamp: '' }
        : { type, messageId: '', anonymousId: id.anonymousId, name, properties, context, timestamp: '' };
    this.buf.push(t, m);
  }

  identify(t: number, id: Ident, traits: Record<string, unknown>): void {
    this.buf.push(t, { type: 'identify', messageId: '', userId: id.userId, anonymousId: id.anonymousId, traits, context: this.context(id.platform), timestamp: '' });
  }

  alias(t: number, id: Ident): void {
    this.buf.push(t, { type: 'alias', messageId: '', userId: id.userId, previousId: id.anonymousId, context: this.context(id.platform), timestamp: '' });
  }

  group(t: number, id: Ident, groupId: string, traits: Record<string, unknown>): void {
    this.buf.push(t, { type: 'group', messageId: '', userId: id.userId, anonymousId: id.anonymousId, groupId, traits, context: this.context(id.platform), timestamp: '' });
  }

  /** A track message built now, emitted later via a task. */
  deferredTrack(id: Ident, event: string, properties: Record<string, unknown>): SegmentMessage {
    return { type: 'track', messageId: '', userId: id.userId, anonymousId: id.anonymousId, event, properties, context: this.context(id.platform), timestamp: '' };
  }

  /** The identity a known user uses on their main device. */
  ident(u: number): Ident {
    const us = this.w.users;
    return { userId: us.userIds[u], anonymousId: us.anonIds[u]!, platform: us.platform[u]! };
  }
}
