import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import {
  ADMIN_EMAIL, DEFAULT_WORKSPACE, createConsoleUser, createKey, createWorkspace, ensureFirstRun, getWorkspace, listKeys, login, logout, lookupKey, revokeKey, sessionUser,
} from '../../src/modules/workspaces/index.ts';
import { migrateOpStore } from '../../src/platform/opstore/index.ts';
import { sha256 } from '../../src/platform/crypto.ts';

const FIXED = { writeKey: 'lb_wk_fixed_write_key_for_tests_000', secretKey: 'lb_sk_fixed_secret_key_for_tests_00', adminPassword: 'first-run-pass-123' };
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

forEachOpStore('opstore workspaces', (getDb, ctx) => {
  test('ensureFirstRun sets up once; a second run (and concurrent runs) do nothing', async () => {
    const db = getDb();
    const first = await ensureFirstRun(db, FIXED);
    assert.deepEqual(first, { workspaceId: DEFAULT_WORKSPACE, writeKey: FIXED.writeKey, secretKey: FIXED.secretKey, adminEmail: ADMIN_EMAIL, adminPassword: FIXED.adminPassword });
    assert.equal(await ensureFirstRun(db, FIXED), null);
    assert.equal(await ensureFirstRun(db, {}), null);
    assert.equal((await getWorkspace(db, DEFAULT_WORKSPACE))!.name, 'Demo shop');
    assert.equal((await listKeys(db, DEFAULT_WORKSPACE)).length, 2);
    assert.deepEqual(await lookupKey(db, 'write', FIXED.writeKey), { workspaceId: DEFAULT_WORKSPACE, keyId: (await listKeys(db, DEFAULT_WORKSPACE)).find((k) => k.kind === 'write')!.id });
    assert.equal((await login(db, ADMIN_EMAIL, FIXED.adminPassword)).user.role, 'admin');

    // Several nodes starting on an empty store at once: exactly one sets it up.
    const fresh = await ctx.fresh();
    await migrateOpStore(fresh.db);
    const others = [fresh.db, await fresh.another(), await fresh.another()];
    const runs = await Promise.all(others.map((d) => ensureFirstRun(d, {})));
    const made = runs.filter((r) => r !== null);
    assert.equal(made.length, 1);
    assert.equal(made[0]!.adminPassword.length >= 12, true, 'a generated password');
    assert.equal(made[0]!.writeKey.startsWith('lb_wk_'), true);
    assert.equal(made[0]!.secretKey.startsWith('lb_sk_'), true);
    const n = await fresh.db.query<{ w: number; k: number; u: number }>(
      'select (select count(*) from workspaces) as w, (select count(*) from api_keys) as k, (select count(*) from console_users) as u');
    assert.deepEqual({ ...n.rows[0] }, { w: 1, k: 2, u: 1 });
  });

  test('keys are stored hashed: no plaintext in api_keys; lookup by kind; revoked keys stop working', async () => {
    const db = getDb();
    const ws = uid('ws_');
    await createWorkspace(db, ws, 'Shop');
    const wk = await createKey(db, ws, 'write', 'web');
    const sk = await createKey(db, ws, 'secret', 'server');
    assert.match(wk.key, /^lb_wk_[A-Za-z0-9_-]{43}$/);
    assert.match(sk.key, /^lb_sk_/);
    const rows = (await db.query<Record<string, unknown>>('select * from api_keys where workspace_id = $1', [ws])).rows;
    assert.equal(rows.length, 2);
    const dump = JSON.stringify(rows);
    for (const k of [wk.key, sk.key]) {
      assert.equal(dump.includes(k), false, 'the plaintext key is not stored');
      assert.equal(dump.includes(k.slice(10)), false, 'nor its secret part');
      assert.ok(rows.some((r) => r.hash === sha256(k)));
    }
    assert.equal(wk.info.prefix, wk.key.slice(0, 10), 'only a short display prefix is kept');

    assert.deepEqual(await lookupKey(db, 'write', wk.key), { workspaceId: ws, keyId: wk.info.id });
    assert.deepEqual(await lookupKey(db, 'secret', sk.key), { workspaceId: ws, keyId: sk.info.id });
    assert.equal(await lookupKey(db, 'secret', wk.key), null, 'a write key is not a secret key');
    assert.equal(await lookupKey(db, 'write', wk.key + 'x'), null);

    assert.equal(await revokeKey(db, 'another-ws', wk.info.id), false, 'only its own workspace revokes a key');
    assert.equal(await revokeKey(db, ws, wk.info.id), true);
    assert.equal(await revokeKey(db, ws, wk.info.id), false, 'already revoked');
    assert.equal(await lookupKey(db, 'write', wk.key), null);
    assert.deepEqual(await lookupKey(db, 'secret', sk.key), { workspaceId: ws, keyId: sk.info.id });
    // (Both keys may share a created_at timestamp, so their listing order is not asserted.)
    const listed = (await listKeys(db, ws)).sort((a, b) => a.kind.localeCompare(b.kind));
    assert.deepEqual(listed.map((k) => [k.id, k.kind, k.label, k.revokedAt !== null]), [[sk.info.id, 'secret', 'server', false], [wk.info.id, 'write', 'web', true]]);
  });

  test('console logins: hashed passwords, sessions, logout, case-insensitive email', async () => {
    const db = getDb();
    const ws = uid('ws_');
    await createWorkspace(db, ws, 'Shop');
    const email = `${uid('Ops.')}@Shop.CN`;
    const user = await createConsoleUser(db, ws, email, 'correct horse', 'viewer');
    const stored = (await db.query<{ password_hash: string }>('select password_hash from console_users where id = $1', [user.id])).rows[0]!;
    assert.match(stored.password_hash, /^scrypt\$/);
    assert.equal(stored.password_hash.includes('correct horse'), false);

    const { token, user: u } = await login(db, email.toUpperCase(), 'correct horse');
    assert.deepEqual(u, { id: user.id, workspaceId: ws, email: email.toLowerCase(), role: 'viewer' });
    assert.deepEqual(await sessionUser(db, token), u);
    const sessions = (await db.query<{ token_hash: string }>('select token_hash from console_sessions where user_id = $1', [user.id])).rows;
    assert.deepEqual(sessions.map((s) => s.token_hash), [sha256(token)], 'only the token hash is stored');
    await logout(db, token);
    assert.equal(await sessionUser(db, token), null);
    assert.equal(await sessionUser(db, 'lb_sess_forged'), null);

    // An expired session no longer works.
    const s2 = await login(db, email, 'correct horse');
    await db.query("update console_sessions set expires_at = now() - interval '1 second' where token_hash = $1", [sha256(s2.token)]);
    assert.equal(await sessionUser(db, s2.token), null);
    await assert.rejects(login(db, 'nobody@shop.cn', 'x'), code('UNAUTHENTICATED'));
  });

  test('repeated wrong passwords throttle the account, even for the right password; it unlocks later', async () => {
    const db = getDb();
    const ws = uid('ws_');
    await createWorkspace(db, ws, 'Shop');
    const email = `${uid('victim')}@shop.cn`;
    await createConsoleUser(db, ws, email, 'right-password');
    await login(db, email, 'right-password');
    for (let i = 0; i < 10; i++) await assert.rejects(login(db, email, `wrong-${i}`), code('UNAUTHENTICATED'));
    await assert.rejects(login(db, email, 'right-password'), (e: { code?: string; retryAfterSeconds?: number }) => {
      assert.equal(e.code, 'LOGIN_THROTTLED');
      assert.ok(e.retryAfterSeconds! > 0 && e.retryAfterSeconds! <= 5 * 60, `retry after ${e.retryAfterSeconds}`);
      return true;
    });
    const row = (await db.query<{ failed_logins: number; locked_until: Date | null }>('select failed_logins, locked_until from console_users where email = $1', [email])).rows[0]!;
    assert.equal(row.failed_logins, 10);
    assert.ok(row.locked_until && row.locked_until.getTime() > Date.now());

    // Once the lock has passed, the right password works and the count resets.
    await db.query("update console_users set locked_until = now() - interval '1 second' where email = $1", [email]);
    const ok = await login(db, email, 'right-password');
    assert.ok(await sessionUser(db, ok.token));
    const reset = (await db.query<{ failed_logins: number; locked_until: Date | null }>('select failed_logins, locked_until from console_users where email = $1', [email])).rows[0]!;
    assert.deepEqual([reset.failed_logins, reset.locked_until], [0, null]);
  });

  test("a disabled user's sessions stop working and it cannot log in", async () => {
    const db = getDb();
    const ws = uid('ws_');
    await createWorkspace(db, ws, 'Shop');
    const email = `${uid('leaver')}@shop.cn`;
    const user = await createConsoleUser(db, ws, email, 'pw-123456');
    const { token } = await login(db, email, 'pw-123456');
    assert.ok(await sessionUser(db, token));
    await db.query('update console_users set disabled_at = now() where id = $1', [user.id]);
    assert.equal(await sessionUser(db, token), null);
    await assert.rejects(login(db, email, 'pw-123456'), code('UNAUTHENTICATED'));
  });
});
