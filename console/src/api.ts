// Typed client for the Liebian HTTP API. Every call carries the session's bearer token;
// a 401 clears the session and sends the user back to the login page.

const TOKEN_KEY = 'liebian.token';
const USER_KEY = 'liebian.user';

export interface SessionUser {
  email: string;
  role: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function getSessionUser(): SessionUser | null {
  try {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as SessionUser) : null;
  } catch {
    return null;
  }
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => {
  window.location.assign('/login');
};
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Every API call goes through here (shared by the per-area clients, e.g. apiProfiles.ts). */
export async function request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = getToken();
  if (opts.auth !== false && token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', (err as Error).message || 'network error');
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    const err = new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? (text.slice(0, 200) || res.statusText), e?.details);
    if (res.status === 401 && opts.auth !== false) {
      clearSession();
      onUnauthorized();
    }
    throw err;
  }
  return data as T;
}

// ---- auth ----

export interface LoginResponse {
  token: string;
  user: SessionUser;
}

export async function login(email: string, password: string): Promise<LoginResponse> {
  const res = await request<LoginResponse>('POST', '/api/v1/auth/login', { email, password }, { auth: false });
  sessionStorage.setItem(TOKEN_KEY, res.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(res.user));
  return res;
}

// ---- overview ----

export interface Overview {
  totals: { events: number; users: number; orders: number; gmv: number };
  eventsPerDay: { day: string; events: number }[];
  activeUsersPerDay: { day: string; users: number }[];
  ordersPerDay: { day: string; orders: number; gmv: number }[];
  topProducts: { productId: string; name: string; category: string; orders: number; units: number; gmv: number }[];
  topSharers: { userId: string; shares: number; clicks: number; orders: number; gmv: number }[];
}

export const getOverview = (days = 30, signal?: AbortSignal) => request<Overview>('GET', `/api/v1/overview?days=${days}`, undefined, { signal });

// ---- events ----

export interface RecentEvent {
  seq: number | string;
  messageId: string;
  type: string;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  properties: Record<string, unknown> | null;
}

export const getRecentEvents = (limit = 50, signal?: AbortSignal) =>
  request<{ events: RecentEvent[] }>('GET', `/api/v1/events/recent?limit=${limit}`, undefined, { signal });

// ---- users ----

export interface UserHit {
  profileId: string;
  userId: string | null;
  displayName: string | null;
  identities: { kind: string; value: string }[];
}

export const searchUsers = (q: string, signal?: AbortSignal) =>
  request<{ users: UserHit[] }>('GET', `/api/v1/users/search?q=${encodeURIComponent(q)}`, undefined, { signal });

export interface UserProfile {
  profileId: string;
  identities: { kind: string; value: string; firstSeen: string }[];
  traits: { key: string; value: unknown; updatedAt: string }[];
  orders: { orderId: string; status: string; total: number; currency: string; items: unknown; timestamp: string; shareId: string | null }[];
  neighbours: { profileId: string; userId: string | null; type: string; direction: 'out' | 'in'; since: string }[];
  shares: { shareId: string; parentShareId: string | null; productId: string | null; clicks: number; orders: number; gmv: number; timestamp: string }[];
  merges: { id: string | number; fromProfileId: string; intoProfileId: string; cause: unknown; at: string; undoneAt: string | null }[];
  timeline: { messageId: string; type: string; event: string | null; timestamp: string; properties: Record<string, unknown> | null }[];
}

export const getUser = (profileId: string, signal?: AbortSignal) =>
  request<UserProfile>('GET', `/api/v1/users/${encodeURIComponent(profileId)}`, undefined, { signal });
