import type { OpStore, SqlRunner } from '../../platform/opstore/index.ts';
import { randomBytes } from 'node:crypto';
import { createKey } from './keys.ts';
import { createConsoleUser } from './accounts.ts';

export { createKey, listKeys, revokeKey, lookupKey, type KeyInfo, type KeyKind } from './keys.ts';
export { login, logout, sessionUser, createConsoleUser, type ConsoleUser } from './accounts.ts';

export const DEFAULT_WORKSPACE = 'default';
export const ADMIN_EMAIL = 'admin@liebian.local';

export interface Workspace {
  id: string;
  name: string;
  settings: WorkspaceSettings;
}
export interface WorkspaceSettings {
  /** Events per second accepted at /v1/* before 429 (token bucket, 1 s burst). */
  rateLimitEventsPerSecond?: number;
}

export async function getWorkspace(q: SqlRunner, id: string): Promise<Workspace | null> {
  const r = await q.query<{ id: string; name: string; settings: WorkspaceSettings }>('select id, name, settings from workspaces where id = $1', [id]);
  return r.rows[0] ?? null;
}

export async function createWorkspace(q: SqlRunner, id: string, name: string, settings: WorkspaceSettings = {}): Promise<Workspace> {
  await q.query('insert into workspaces (id, name, settings) values ($1, $2, $3)', [id, name, JSON.stringify(settings)]);
  return { id, name, settings };
}

export interface FirstRunSecrets {
  workspaceId: string;
  writeKey: string;
  secretKey: string;
  adminEmail: string;
  adminPassword: string;
}

/**
 * On an empty store: the default workspace, a write key, a secret key and the console admin.
 * Returns the plaintext secrets once (printed on start), or null when already set up.
 */
export async function ensureFirstRun(db: OpStore, fixed: { writeKey?: string; secretKey?: string; adminPassword?: string }): Promise<FirstRunSecrets | null> {
  return db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock(4242003)');
    const r = await q.query('select 1 from workspaces limit 1');
    if (r.rows.length) return null;
    await createWorkspace(q, DEFAULT_WORKSPACE, 'Demo shop');
    const wk = await createKey(q, DEFAULT_WORKSPACE, 'write', 'default write key', fixed.writeKey);
    const sk = await createKey(q, DEFAULT_WORKSPACE, 'secret', 'default secret key', fixed.secretKey);
    const adminPassword = fixed.adminPassword ?? randomBytes(12).toString('base64url');
    await createConsoleUser(q, DEFAULT_WORKSPACE, ADMIN_EMAIL, adminPassword, 'admin');
    return { workspaceId: DEFAULT_WORKSPACE, writeKey: wk.key, secretKey: sk.key, adminEmail: ADMIN_EMAIL, adminPassword };
  });
}
