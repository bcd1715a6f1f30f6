import type { SqlRunner } from '../../platform/opstore/index.ts';
import { newId, newSecret, sha256 } from '../../platform/crypto.ts';

export type KeyKind = 'write' | 'secret';
export interface KeyInfo {
  id: string;
  workspaceId: string;
  kind: KeyKind;
  prefix: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

const PREFIX: Record<KeyKind, string> = { write: 'lb_wk_', secret: 'lb_sk_' };

/** Creates a key; the plaintext is returned once and only its SHA-256 is stored. */
export async function createKey(q: SqlRunner, workspaceId: string, kind: KeyKind, label?: string, fixed?: string): Promise<{ key: string; info: KeyInfo }> {
  const key = fixed ?? newSecret(PREFIX[kind]);
  const id = newId('key_');
  const prefix = key.slice(0, 10);
  const r = await q.query<{ created_at: Date }>(
    'insert into api_keys (id, workspace_id, kind, prefix, hash, label) values ($1,$2,$3,$4,$5,$6) returning created_at',
    [id, workspaceId, kind, prefix, sha256(key), label ?? null],
  );
  return { key, info: { id, workspaceId, kind, prefix, label: label ?? null, createdAt: r.rows[0]!.created_at.toISOString(), revokedAt: null } };
}

export async function listKeys(q: SqlRunner, workspaceId: string): Promise<KeyInfo[]> {
  const r = await q.query<{ id: string; kind: KeyKind; prefix: string; label: string | null; created_at: Date; revoked_at: Date | null }>(
    'select id, kind, prefix, label, created_at, revoked_at from api_keys where workspace_id = $1 order by created_at, kind desc, id',
    [workspaceId],
  );
  return r.rows.map((k) => ({ id: k.id, workspaceId, kind: k.kind, prefix: k.prefix, label: k.label, createdAt: k.created_at.toISOString(), revokedAt: k.revoked_at?.toISOString() ?? null }));
}

export async function revokeKey(q: SqlRunner, workspaceId: string, keyId: string): Promise<boolean> {
  const r = await q.query('update api_keys set revoked_at = now() where id = $1 and workspace_id = $2 and revoked_at is null', [keyId, workspaceId]);
  return r.rowCount > 0;
}

/** Resolves a presented key to its workspace, or null when unknown or revoked. */
export async function lookupKey(q: SqlRunner, kind: KeyKind, key: string): Promise<{ workspaceId: string; keyId: string } | null> {
  const r = await q.query<{ id: string; workspace_id: string }>(
    'select id, workspace_id from api_keys where hash = $1 and kind = $2 and revoked_at is null',
    [sha256(key), kind],
  );
  const row = r.rows[0];
  return row ? { workspaceId: row.workspace_id, keyId: row.id } : null;
}
