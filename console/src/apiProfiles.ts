// Client for the computed-profile endpoints (docs/profiles.md): RFM grid, lifecycle, a person's
// computed traits, and the share cascades a person started.
import { request } from './api';

export interface RfmCell {
  r: number;
  f: number;
  segment: string;
  buyers: number;
  revenue: number;
}

export interface RfmGrid {
  asOf: string | null;
  buyers: number;
  revenue: number;
  cells: RfmCell[];
  segments: { segment: string; buyers: number; revenue: number; share: number }[];
  windowDays: number | null;
  computedAt: string | null;
}

export const getRfm = (signal?: AbortSignal) => request<RfmGrid>('GET', '/api/v1/analytics/rfm', undefined, { signal });

export interface Lifecycle {
  asOf: string | null;
  /** Profiles per stage now (prospect included). */
  stages: Record<string, number>;
  from: string;
  to: string;
  /** One row per day: { day, <stage>: buyers in that stage at the end of the day }. */
  days: Array<Record<string, number | string>>;
  flows: { from: string; to: string; profiles: number }[];
}

export const getLifecycle = (range: { from?: string; to?: string } = {}, signal?: AbortSignal) => {
  const q = new URLSearchParams();
  if (range.from) q.set('from', range.from);
  if (range.to) q.set('to', range.to);
  const qs = q.toString();
  return request<Lifecycle>('GET', `/api/v1/analytics/lifecycle${qs ? `?${qs}` : ''}`, undefined, { signal });
};

/** A computed-traits row: camelCase columns of computed_traits (more may appear, e.g. influence). */
export type ComputedTraits = Record<string, unknown> & { profileId: string; asOf: string };

export interface UserTraits {
  profileId: string;
  asOf: string | null;
  traits: ComputedTraits | null;
  lifecycleHistory: { day: string; stage: string; prevStage: string }[];
  churnModel: { auc: number | null; baselineAuc: number | null; holdoutRows: number; horizonDays: number; note?: string | null; trainedAt: string } | null;
}

export const getUserTraits = (profileId: string, signal?: AbortSignal) =>
  request<UserTraits>('GET', `/api/v1/users/${encodeURIComponent(profileId)}/traits`, undefined, { signal });

export interface CascadeNode {
  shareId: string;
  parentShareId: string | null;
  generation: number;
  sharer: string;
  productId: string | null;
  timestamp: string;
  clicks: number;
  orders: number;
  gmv: number;
  downstreamOrders: number;
  downstreamGmv: number;
  children: CascadeNode[];
}

export const getCascade = (shareId: string, signal?: AbortSignal) =>
  request<{ root: CascadeNode; generations: number; shares: number }>('GET', `/api/v1/shares/${encodeURIComponent(shareId)}/cascade`, undefined, { signal });

export interface Influencer {
  profileId: string;
  userId: string | null;
  followers: number;
  following: number;
  friends: number;
  shares: number;
  shareClicks: number;
  downstreamOrders: number;
  downstreamGmv: number;
  centrality: number;
  centralityPercentile: number | null;
  isKol: boolean;
}

export const getInfluencers = (by: 'centrality' | 'downstreamGmv', limit = 10, signal?: AbortSignal) =>
  request<{ asOf: string | null; by: string; depth: number | null; influencers: Influencer[] }>('GET', `/api/v1/analytics/influencers?by=${by}&limit=${limit}`, undefined, { signal });
