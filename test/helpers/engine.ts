import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { loadConfig } from '../../src/platform/config.ts';
import { startEngine, type Engine } from '../../src/engine.ts';
import { buildApp, type App } from '../../src/http/app.ts';

export const WRITE_KEY = 'lb_wk_test_write_key_0123456789';
export const SECRET_KEY = 'lb_sk_test_secret_key_0123456789';
export const ADMIN_PASSWORD = 'test-admin-pass-123';

export function tmpDir(name = 'liebian-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), name));
}

/** A real engine (PGlite + DuckDB in a temp dir, or PostgreSQL when `databaseUrl` is given) and its Fastify app. */
export async function startTestApp(opts: { databaseUrl?: string; env?: Record<string, string>; background?: boolean } = {}): Promise<{ engine: Engine; app: App; dataDir: string; close(): Promise<void> }> {
  const dataDir = tmpDir();
  const config = loadConfig({
    LIEBIAN_DATA_DIR: dataDir,
    LIEBIAN_LOG_LEVEL: 'silent',
    LIEBIAN_DEMO: '0',
    LIEBIAN_BOOTSTRAP_WRITE_KEY: WRITE_KEY,
    LIEBIAN_BOOTSTRAP_SECRET_KEY: SECRET_KEY,
    LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  const engine = await startEngine(config, { background: opts.background });
  const app = await buildApp(engine);
  return {
    engine, app, dataDir,
    async close() {
      await app.shutdown();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const basic = (key = WRITE_KEY) => 'Basic ' + Buffer.from(key + ':').toString('base64');
export const bearer = (key = SECRET_KEY) => 'Bearer ' + key;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}
