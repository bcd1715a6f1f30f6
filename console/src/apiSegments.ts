// Client for the segment API (docs/segments.md): live preview, saved segments, membership,
// auto-segments. Rules are plain JSON (pages/segments/ruleModel.ts has their types).
import { request } from './api';
import type { Rule } from './pages/segments/ruleModel';

export interface PreviewResult {
  count: number;
  sample: Array<Record<string, unknown> & { profileId: string; userId?: string | null }>;
  tookMs?: number;
}

export const previewSegment = (rule: Rule, sample = 10, signal?: AbortSignal) =>
  request<PreviewResult>('POST', '/api/v1/segments/preview', { rule, sample }, { signal });

export interface Segment {
  id: string;
  name: string;
  description: string;
  rule: Rule;
  refreshMinutes: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  refreshedAt: string | null;
  size: number | null;
  lastError: string | null;
}

/** GET /api/v1/segments answers { segments } (an array is accepted too). */
export const listSegments = async (signal?: AbortSignal): Promise<Segment[]> => {
  const r = await request<{ segments: Segment[] } | Segment[]>('GET', '/api/v1/segments', undefined, { signal });
  return Array.isArray(r) ? r : r.segments;
};

const unwrap = (r: Segment | { segment: Segment }): Segment => ('segment' in r && typeof r.segment === 'object' ? r.segment : (r as Segment));

export const getSegment = async (id: string, signal?: AbortSignal) => unwrap(await request<Segment | { segment: Segment }>('GET', `/api/v1/segments/${encodeURIComponent(id)}`, undefined, { signal }));

export const createSegment = async (body: { name: string; description?: string; rule: Rule }) => unwrap(await request<Segment | { segment: Segment }>('POST', '/api/v1/segments', body));

export const updateSegment = async (id: string, body: { name?: string; description?: string; rule?: Rule }) =>
  unwrap(await request<Segment | { segment: Segment }>('PATCH', `/api/v1/segments/${encodeURIComponent(id)}`, body));

export const deleteSegment = (id: string) => request<unknown>('DELETE', `/api/v1/segments/${encodeURIComponent(id)}`);

export interface SizePoint {
  at: string;
  size: number;
  entered: number;
  exited: number;
}

export const segmentHistory = async (id: string, signal?: AbortSignal): Promise<SizePoint[]> => {
  const r = await request<{ history?: SizePoint[]; points?: SizePoint[] } | SizePoint[]>('GET', `/api/v1/segments/${encodeURIComponent(id)}/history`, undefined, { signal });
  return Array.isArray(r) ? r : r.history ?? r.points ?? [];
};

export interface MemberRow {
  profileId: string;
  userId: string | null;
  since: string;
}

export const segmentMembers = (id: string, cursor: string | null, limit = 20, signal?: AbortSignal) =>
  request<{ members: MemberRow[]; nextCursor: string | null }>(
    'GET',
    `/api/v1/segments/${encodeURIComponent(id)}/members?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    undefined,
    { signal },
  );

export interface ChangeRow {
  id: number;
  profileId: string;
  userId?: string | null;
  change: 'enter' | 'exit';
  reason: string;
  at: string;
}

export const segmentChanges = (id: string, cursor: number | null, limit = 20, signal?: AbortSignal) =>
  request<{ changes: ChangeRow[]; nextCursor: number | null }>(
    'GET',
    `/api/v1/segments/${encodeURIComponent(id)}/changes?limit=${limit}${cursor != null ? `&cursor=${cursor}` : ''}`,
    undefined,
    { signal },
  );

/** The CSV export needs the bearer token, so it is fetched and handed to the browser as a file. */
export async function downloadSegmentCsv(id: string, name: string, token: string | null): Promise<void> {
  const res = await fetch(`/api/v1/segments/${encodeURIComponent(id)}/export.csv`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name.replace(/[\\/:*?"<>|]+/g, '_') || id}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- auto-segments (k-means) ----

export interface AutoCluster {
  index: number;
  size: number;
  share: number;
  /** Mean of each feature over the members, in the trait's own units. */
  centroid: Record<string, number | null>;
  zScores?: Record<string, number>;
  description: { zh: string; en: string; traits?: { feature: string; z: number; level: 'high' | 'low'; zh: string; en: string }[] };
}

export interface AutoModel {
  id: string;
  createdAt: string;
  asOf: string | null;
  profiles: number;
  features: { name: string }[];
  dropped: string[];
  silhouettes: { k: number; silhouette: number; inertia: number }[];
  chosenK: number;
  clusters: AutoCluster[];
}

export const fitAutoSegments = (body: { k?: number; features?: string[] } = {}) => request<AutoModel>('POST', '/api/v1/segments/auto', body);
export const listAutoModels = (signal?: AbortSignal) => request<{ models: Array<Partial<AutoModel> & { id: string }> }>('GET', '/api/v1/segments/auto', undefined, { signal });
/** Deletes a model; 409 (ApiError, details with `segment: { id, name }`) while saved segments use one of its clusters. */
export const deleteAutoModel = (id: string) => request<unknown>('DELETE', `/api/v1/segments/auto/${encodeURIComponent(id)}`);
export const getAutoModel = (id: string, signal?: AbortSignal) => request<AutoModel>('GET', `/api/v1/segments/auto/${encodeURIComponent(id)}`, undefined, { signal });

// ---- a person's segments and tags (User 360) ----

export interface ProfileSegment {
  id: string;
  name: string;
  size: number | null;
  refreshedAt: string | null;
}

export const getProfileSegments = (profileId: string, signal?: AbortSignal) =>
  request<{ profileId: string; segments: ProfileSegment[] }>('GET', `/api/v1/users/${encodeURIComponent(profileId)}/segments`, undefined, { signal });

/** A tag on a person: manual (addedBy = who set it) or from a segment (addedBy = `segment:<id>`, addedAt = entry time). */
export interface ProfileTag {
  tag: string;
  source: 'manual' | 'segment';
  addedBy: string;
  addedAt: string;
  segmentId?: string;
}

/** `GET /api/v1/users/:id/tags` (tags API); null when the server has no tags API. */
export async function getProfileTags(profileId: string, signal?: AbortSignal): Promise<ProfileTag[] | null> {
  try {
    return (await request<{ tags: ProfileTag[] }>('GET', `/api/v1/users/${encodeURIComponent(profileId)}/tags`, undefined, { signal })).tags;
  } catch (err) {
    if ((err as { status?: number }).status === 404 && String((err as { message?: string }).message).includes('no route')) return null;
    throw err;
  }
}

export const addProfileTag = (profileId: string, tag: string) => request<unknown>('POST', `/api/v1/users/${encodeURIComponent(profileId)}/tags`, { tag });
export const removeProfileTag = (profileId: string, tag: string) =>
  request<unknown>('DELETE', `/api/v1/users/${encodeURIComponent(profileId)}/tags/${encodeURIComponent(tag)}`);
