import type { SqlRunner } from '../../platform/opstore/index.ts';
import { hashPassword, newId, newSecret, sha256, verifyPassword } from '../../platform/crypto.ts';
import { appError } from '../../platform/errors.ts';

export const SESSION_HOURS = 12;
const MAX_FAILED = 10;
const LOCK_MINUTES = 5;

export interface ConsoleUser {
  id: string;
  workspaceId: string;
  email: string;
  role: string;
}

export async function createConsoleUser(q: SqlRunner, workspaceId: string, email: string, password: string, role = 'admin'): Promise<ConsoleUser> {
  const id = newId('usr_');
  await q.query('insert into console_users (id, workspace_id, email, password_hash, role) values ($1,$2,$3,$4,$5)', [
    id, workspaceId, email.toLowerCase(), await hashPassword(password), role,
  ]);
  return { id, workspaceId, email: email.toLowerCase(), role };
}

/** Checks a password; throttles an account after repeated failures. Returns a session token. */
export async function login(q: SqlRunner, email: string, password: string): Promise<{ token: string; user: ConsoleUser }> {
  const r = await q.query<{ id: string; workspace_id: string; email: string; role: string; password_hash: string; failed_logins: number; locked_until: Date | null; disabled_at: Date | null }>(
    'select id, workspace_id, email, role, password_hash, failed_logins, locked_until, disabled_at from console_users where email = $1',
    [email.toLowerCase()],
  );
  const u = r.rows[0];
  if (u?.locked_until && u.locked_until.getTime() > Date.now()) {
    throw appError('LOGIN_THROTTLED', 'too many failed logins for this account; try again in a few minutes', undefined, Math.ceil((u.locked_until.getTime() - Date.now()) / 1000));
  }
  const ok = u && !u.disabled_at && (await verifyPassword(password, u.password_hash));
  if (!u || !ok) {
    if (u) {
      await q.query(
        `update console_users set failed_logins = failed_logins + 1,
           locked_until = case when failed_logins + 1 >= $2 then now() + make_interval(mins => $3) else locked_until end
         where id = $1`,
        [u.id, MAX_FAILED, LOCK_MINUTES],
      );
    }
    throw appError('UNAUTHENTICATED', 'wrong email or password');
  }
  await q.query('update console_users set failed_logins = 0, locked_until = null where id = $1', [u.id]);
  const token = newSecret('lb_sess_');
  await q.query(`insert into console_sessions (token_hash, user_id, expires_at) values ($1, $2, now() + make_interval(hours => $3))`, [sha256(token), u.id, SESSION_HOURS]);
  return { token, user: { id: u.id, workspaceId: u.workspace_id, email: u.email, role: u.role } };
}

export async function sessionUser(q: SqlRunner, token: string): Promise<ConsoleUser | null> {
  const r = await q.query<{ id: string; workspace_id: string; email: string; role: string }>(
    `select u.id, u.workspace_id, u.email, u.role from console_sessions s join console_users u on u.id = s.user_id
     where s.token_hash = $1 and s.expires_at > now() and u.disabled_at is null`,
    [sha256(token)],
  );
  const u = r.rows[0];
  return u ? { id: u.id, workspaceId: u.workspace_id, email: u.email, role: u.role } : null;
}

export async function logout(q: SqlRunner, token: string): Promise<void> {
  await q.query('delete from console_sessions where token_hash = $1', [sha256(token)]);
}
