// Client for the recommendation endpoints (docs/api.md), used by the Recommend* pages.
import { ApiError, clearSession, getToken } from '../api';
import { navigate } from '../router';

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', (err as Error).message || 'network error');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    if (res.status === 401) {
      clearSession();
      navigate('/login', { replace: true });
    }
    throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? (text.slice(0, 200) || res.statusText), e?.details);
  }
  return data as T;
}

export interface ModelReport {
  weight: number;
  train_seconds: number;
  peak_rss_mb: number;
  peak_alloc_mb: number;
  model_mb: number;
  metrics: Record<string, number>;
}

export interface ModelStatus {
  version: string | null;
  trainedAt: string | null;
  asOf: string | null;
  counts: Record<string, number> | null;
  models: Record<string, ModelReport> | null;
  hybrid: { components: string[]; weights: Record<string, number>; validationNdcg: number } | null;
  validation: { users: number; k: number; split: string } | null;
  trainSeconds: number | null;
  training: { running: boolean; startedAt: string | null; progress: string | null; last: { at: string; outcome: string; message: string; version?: string } | null; intervalMinutes: number };
  live: { users: number };
}

export interface ShownItem {
  productId: string;
  name: string | null;
  category: string | null;
  price: number | null;
  inStock: boolean;
  score?: number;
  sources?: string[];
  reason?: string;
}

export interface Inspection {
  user: { key: string; inModel: boolean; precomputed: boolean; optedOut: boolean };
  model: { version: string };
  history: Array<ShownItem & { kinds: string[]; at: string; live: boolean }>;
  models: Record<string, ShownItem[]>;
  blend: ShownItem[];
  nonPersonalised: ShownItem[];
}

export interface Boost {
  productId?: string;
  category?: string;
  brand?: string;
  factor: number;
}

export interface PlacementSettings {
  excludePurchasedDays: number;
  diversity: number;
  maxPerCategory: number;
  maxPerBrand: number;
  pinned: string[];
  boosts: Boost[];
  minPrice: number | null;
  maxPrice: number | null;
  includeCategories: string[];
  excludeCategories: string[];
  excludeBrands: string[];
  excludeProductIds: string[];
}

export const PLACEMENTS = ['home', 'product', 'cart', 'email'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export interface RecSettings {
  placements: Record<Placement, PlacementSettings>;
  training: { intervalMinutes: number; minUsers: number; minInteractions: number; windowDays: number; models: string[]; candidatesPerUser: number; weights: Record<string, number> };
  tokenTtlHours: number;
}

export interface StatsRow {
  placement: string;
  model: string;
  impressions: number;
  clicks: number;
  ctr: number | null;
}

export const getModelStatus = (signal?: AbortSignal) => call<ModelStatus>('GET', '/api/v1/recommendations/model', undefined, signal);
export const trainNow = () => call<{ started: boolean }>('POST', '/api/v1/recommendations/train', {});
export const inspect = (who: { userId?: string; anonymousId?: string }, lang: string, signal?: AbortSignal) => {
  const q = new URLSearchParams({ ...(who.userId ? { userId: who.userId } : { anonymousId: who.anonymousId ?? '' }), lang, n: '20' });
  return call<Inspection>('GET', `/api/v1/recommendations/inspect?${q}`, undefined, signal);
};
export const getSettings = (signal?: AbortSignal) => call<{ settings: RecSettings }>('GET', '/api/v1/recommendations/settings', undefined, signal);
export const putSettings = (patch: unknown) => call<{ settings: RecSettings; updatedAt: string }>('PUT', '/api/v1/recommendations/settings', patch);
export const getStats = (days: number, signal?: AbortSignal) => call<{ rows: StatsRow[] }>('GET', `/api/v1/recommendations/stats?days=${days}`, undefined, signal);
