// Shared harness for the browser tests: starts the real server (demo world) on a free port,
// drives Debian's Chromium through playwright-core, and talks to the API directly for the
// expected values. Needs `npm run build:console` first (the server serves console/dist).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ADMIN_EMAIL = 'admin@liebian.local';
export const ADMIN_PASSWORD = 'test-admin-pass-123';
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Why the browser tests cannot run here (null: they can). Without Chromium outside CI they skip. */
export const skipReason = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not found (install Debian's chromium); browser test skipped` : null;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Harness {
  baseUrl: string;
  token: string;
  browser: Browser;
  page: Page;
  pageErrors: string[];
  /** GET (or POST with a body) on the API as the admin. */
  api<T>(path: string, body?: unknown): Promise<{ status: number; json: T }>;
  /** Polls probe until it returns a value (not undefined) or the time is up. */
  waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T>;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the server with the demo world, logs in over the API and opens a signed-in browser page. */
export async function startHarness(opts: { diagnostic: (msg: string) => void; lang?: 'zh-CN' | 'en' }): Promise<Harness> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing and CI is set: the browser test cannot run`);
  assert.ok(existsSync(join(REPO, 'console/dist/index.html')), 'console/dist/index.html missing: run `npm run build:console` first');
  const tmp = await mkdtemp(join(tmpdir(), 'liebian-browser-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let serverLog = '';
  let serverExit: string | null = null;
  const server: ChildProcess = spawn(process.execPath, ['bin/liebian.mjs', 'start'], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), LIEBIAN_DATA_DIR: join(tmp, 'data'), LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, LIEBIAN_DEMO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    serverLog = (serverLog + chunk.toString()).slice(-64_000);
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  server.on('exit', (code, signal) => {
    serverExit = `code ${code}, signal ${signal}`;
  });

  const waitFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (serverExit) throw new Error(`server exited (${serverExit}) while waiting for ${what}\n${serverLog.slice(-4000)}`);
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      await sleep(300);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${String(last)}\n${serverLog.slice(-4000)}`);
  };

  let token = '';
  const api = async <T>(path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
  };

  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    if (!serverExit) {
      const exited = new Promise<void>((r) => server.once('exit', () => r()));
      server.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) {
        server.kill('SIGKILL');
        await exited;
      }
    }
    await rm(join(tmp, 'data'), { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    await waitFor('GET /readyz 200', 90_000, async () => ((await fetch(`${baseUrl}/readyz`)).status === 200 ? true : undefined));
    const login = await api<{ token: string; user: unknown }>('/api/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    assert.equal(login.status, 200, `API login failed: ${JSON.stringify(login.json)}`);
    token = login.json.token;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Signed in as the login page would leave it (the login form itself is covered by console.test.ts).
    await page.goto(`${baseUrl}/login`);
    await page.evaluate(`(() => {
      sessionStorage.setItem('liebian.token', ${JSON.stringify(token)});
      sessionStorage.setItem('liebian.user', ${JSON.stringify(JSON.stringify(login.json.user))});
      localStorage.setItem('liebian.lang', ${JSON.stringify(opts.lang ?? 'en')});
    })()`);
    const shots = join(tmp, 'screenshots');
    await mkdir(shots, { recursive: true });
    const shot = async (name: string) => {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      opts.diagnostic(`screenshot: ${path}`);
    };
    return { baseUrl, token, browser, page, pageErrors, api, waitFor, shot, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Count of non-transparent pixels in the first canvas under a test id (proves ECharts drew). */
export async function paintedPixels(page: Page, testId: string): Promise<number> {
  const expr = `(() => {
    const c = document.querySelector('[data-testid="${testId}"] canvas');
    if (!c || !c.width || !c.height) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  })()`;
  return page.evaluate<number>(expr);
}

/** Digits of a rendered number ("¥12,345.60" → 12345.6). */
export const numberIn = (text: string) => Number(text.replace(/[^0-9.]/g, '') || '0');
