import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRITE_KEY, SECRET_KEY, ADMIN_PASSWORD, freePort, basic, bearer } from './engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  port: number;
  url: string;
  proc: ChildProcess;
  /** Everything the process wrote to stdout / stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code / signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no shutdown hooks, no flush; waits until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful) and wait; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node bin/liebian.mjs start` as a child process on `dataDir` (embedded stores, no demo,
 * the test secrets of helpers/engine.ts) and waits until `/readyz` answers 200.
 */
export async function startServerProcess(opts: { dataDir: string; port?: number; env?: Record<string, string>; readyTimeoutMs?: number }): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    LIEBIAN_DATA_DIR: opts.dataDir,
    LIEBIAN_DEMO: '0',
    LIEBIAN_LOG_LEVEL: 'warn',
    LIEBIAN_BOOTSTRAP_WRITE_KEY: WRITE_KEY,
    LIEBIAN_BOOTSTRAP_SECRET_KEY: SECRET_KEY,
    LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...opts.env,
  });
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/liebian.mjs'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const sp: ServerProcess = {
    port, url, proc, exited,
    output: () => out,
    async kill9() {
      if (!gone) proc.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 30_000) {
      if (gone) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!gone) proc.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
  const until = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  while (Date.now() < until) {
    if (gone) throw new Error(`the server exited before it was ready (${JSON.stringify(await exited)}):\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return sp;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await sp.kill9();
  throw new Error(`the server was not ready within the timeout:\n${out}`);
}

/** Every stored event of the workspace, via `GET /api/v1/events/export` (NDJSON). */
export async function exportEvents(url: string): Promise<Array<Record<string, unknown> & { messageId: string }>> {
  const r = await fetch(`${url}/api/v1/events/export`, { headers: { authorization: bearer() } });
  if (r.status !== 200) throw new Error(`export answered ${r.status}: ${await r.text()}`);
  const text = await r.text();
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * Polls the export until the event store holds at least `expected` events (any number without it)
 * and the count has not changed for `stableMs`, then returns the events (also on timeout).
 */
export async function waitForExport(url: string, opts: { expected?: number; stableMs?: number; timeoutMs?: number } = {}) {
  const until = Date.now() + (opts.timeoutMs ?? 120_000);
  const stableMs = opts.stableMs ?? 1500;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const events = await exportEvents(url);
    if (events.length !== last) {
      last = events.length;
      since = Date.now();
    } else if ((opts.expected === undefined || events.length >= opts.expected) && Date.now() - since >= stableMs) {
      return events;
    }
    if (Date.now() > until) return events;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** POSTs JSON to a collection endpoint with the test write key. */
export async function postCollect(url: string, route: string, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}) {
  return fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(), ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}
