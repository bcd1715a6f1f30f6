// End-to-end test of the web console: starts the real server (with the demo world) and drives
// Debian's Chromium through playwright-core.
//   node --import tsx --test test/browser/console.test.ts
// Needs `npm run build:console` first (the server serves console/dist).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, REPO, freePort, numberIn, paintedPixels, skipReason, sleep } from './harness.ts';


const haveBrowser = existsSync(CHROMIUM);

let server: ChildProcess | undefined;
let serverLog = '';
let serverExit: string | null = null;
let tmp = '';
let baseUrl = '';
let browser: Browser | undefined;

const tail = () => serverLog.slice(-4000);


async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (serverExit) throw new Error(`server exited (${serverExit}) while waiting for ${what}\n${tail()}`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${String(last)}\n${tail()}`);
}

async function api<T>(path: string, token?: string, body?: unknown): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

interface OverviewJson {
  totals: { events: number; users: number; orders: number; gmv: number };
  topSharers: { userId: string }[];
}
interface UserJson {
  profileId: string;
  identities: { kind: string; value: string }[];
  orders: unknown[];
  timeline: unknown[];
}

before(async () => {
  if (skipReason) return;
  tmp = await mkdtemp(join(tmpdir(), 'liebian-console-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['bin/liebian.mjs', 'start'], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      LIEBIAN_DATA_DIR: join(tmp, 'data'),
      LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LIEBIAN_DEMO: '1',
    },
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
});

after(async () => {
  await browser?.close().catch(() => undefined);
  if (server && !serverExit) {
    const exited = new Promise<void>((r) => server!.once('exit', () => r()));
    server.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!done) {
      server.kill('SIGKILL');
      await exited;
    }
  }
  if (tmp) await rm(join(tmp, 'data'), { recursive: true, force: true }).catch(() => undefined);
});

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');



test('web console: login, overview, live events, user lookup, i18n', { timeout: 360_000 }, async (t) => {
  if (skipReason) {
    t.skip(skipReason);
    return;
  }
  assert.ok(haveBrowser, `${CHROMIUM} is missing and CI is set: the browser test cannot run`);
  assert.ok(existsSync(join(REPO, 'console/dist/index.html')), 'console/dist/index.html missing: run `npm run build:console` first');

  // ---- server up, demo world loaded ----
  await waitFor('GET /readyz 200', 90_000, async () => ((await fetch(`${baseUrl}/readyz`)).status === 200 ? true : undefined));
  const { status: loginStatus, json: loginJson } = await api<{ token: string }>('/api/v1/auth/login', undefined, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  assert.equal(loginStatus, 200, `API login failed: ${JSON.stringify(loginJson)}`);
  const token = loginJson.token;
  const overview = await waitFor('demo world (overview totals.orders > 0)', 120_000, async () => {
    const r = await api<OverviewJson>('/api/v1/overview?days=30', token);
    return r.status === 200 && r.json.totals.orders > 0 && r.json.topSharers.length > 0 ? r.json : undefined;
  });
  t.diagnostic(`overview totals: ${JSON.stringify(overview.totals)}`);

  // A top sharer whose own profile has orders and a timeline (fall back to the first sharer).
  let target: { userId: string; profile?: UserJson } = { userId: overview.topSharers[0]!.userId };
  for (const s of overview.topSharers.slice(0, 10)) {
    const hits = await api<{ users: { profileId: string; userId: string | null }[] }>(`/api/v1/users/search?q=${encodeURIComponent(s.userId)}`, token);
    const hit = hits.json.users?.find((u) => u.userId === s.userId);
    if (!hit) continue;
    const prof = await api<UserJson>(`/api/v1/users/${encodeURIComponent(hit.profileId)}`, token);
    if (prof.status === 200 && prof.json.orders.length > 0 && prof.json.timeline.length > 0) {
      target = { userId: s.userId, profile: prof.json };
      break;
    }
  }
  t.diagnostic(`user under test: ${target.userId} (orders: ${target.profile?.orders.length ?? 'unknown'})`);

  // ---- browser ----
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  const shots = join(tmp, 'screenshots');
  await mkdir(shots, { recursive: true });
  const shot = async (name: string) => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`screenshot: ${path}`);
  };

  // Unauthenticated → login page (default language zh-CN).
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/login$/);
  await page.getByTestId('login-card').waitFor();
  assert.match(await page.getByTestId('login-submit').innerText(), /登\s*录/);
  await shot('login-zh');

  // Wrong password shows the server's error message.
  await page.getByTestId('login-email').fill(ADMIN_EMAIL);
  await page.getByTestId('login-password').fill('definitely-wrong');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  assert.ok((await page.getByTestId('login-error').innerText()).trim().length > 0);

  // Real login.
  await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-overview').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');

  // ---- overview ----
  await page.getByTestId('stat-orders').waitFor();
  for (const key of ['events', 'users', 'orders', 'gmv']) {
    const text = await page.getByTestId(`stat-${key}`).innerText();
    assert.ok(numberIn(text.split('\n').pop() ?? '') > 0, `stat-${key} should be non-zero, got ${JSON.stringify(text)}`);
  }
  assert.match(await page.getByTestId('stat-gmv').innerText(), /¥/);
  for (const chart of ['chart-events', 'chart-dau', 'chart-orders']) {
    await page.locator(`[data-testid="${chart}"] canvas`).first().waitFor();
  }
  await waitFor('chart pixels', 10_000, async () => ((await paintedPixels(page, 'chart-orders')) > 500 ? true : undefined));
  assert.ok((await page.locator('[data-testid="table-top-products"] tbody tr.ant-table-row').count()) > 0, 'top products table has rows');
  assert.ok((await page.locator('[data-testid="table-top-sharers"] tbody tr.ant-table-row').count()) > 0, 'top sharers table has rows');
  await shot('overview-zh');

  // ---- live events ----
  await page.getByTestId('nav-events').click();
  await page.getByTestId('page-events').waitFor();
  const eventRows = page.locator('[data-testid="table-events"] tbody tr.ant-table-row');
  await eventRows.first().waitFor();
  assert.ok((await eventRows.count()) > 0);
  await eventRows.first().locator('.ant-table-row-expand-icon').click();
  await page.getByTestId('event-json').first().waitFor();
  assert.match(await page.getByTestId('event-json').first().innerText(), /^\{/);
  await page.getByTestId('events-toggle').click();
  assert.match(await page.getByTestId('events-toggle').innerText(), /继\s*续/);
  await shot('events-zh');
  await page.getByTestId('events-toggle').click();
  assert.match(await page.getByTestId('events-toggle').innerText(), /暂\s*停/);

  // ---- user lookup ----
  await page.getByTestId('nav-users').click();
  await page.getByTestId('page-users').waitFor();
  // antd puts the test id on the search box's wrapper (or, in some versions, on the <input>).
  const search = page.locator('[data-testid="user-search-input"] input, input[data-testid="user-search-input"]').first();
  await search.fill(target.userId);
  await search.press('Enter');
  const exactly = new RegExp(`^\\s*${escapeRe(target.userId)}\\s*$`);
  const hit = page.getByTestId('user-result-link').filter({ hasText: exactly }).first();
  await hit.waitFor();
  await shot('users-search-zh');
  await hit.click();
  await page.getByTestId('page-user').waitFor();
  assert.match(new URL(page.url()).pathname, /^\/users\/[^/]+$/);
  const identities = page.getByTestId('table-identities');
  await identities.locator('tbody tr.ant-table-row').first().waitFor();
  assert.ok((await identities.innerText()).includes(target.userId), 'identities list the userId');
  await page.getByTestId('timeline-item').first().waitFor();
  assert.ok((await page.getByTestId('timeline-item').count()) > 0, 'timeline has items');
  await page.getByTestId('table-orders').waitFor();
  if (target.profile && target.profile.orders.length > 0) {
    assert.ok((await page.locator('[data-testid="table-orders"] tbody tr.ant-table-row').count()) > 0, 'orders table has rows');
  }
  await shot('user-zh');

  // ---- language switch ----
  await page.getByTestId('lang-en').click();
  await page.getByText('Identities', { exact: true }).first().waitFor();
  assert.equal(await page.getByTestId('nav-users').innerText(), 'Users');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await shot('user-en');
  // Deep link to a client-side route survives a reload (SPA fallback on the server).
  await page.reload();
  await page.getByTestId('table-identities').locator('tbody tr.ant-table-row').first().waitFor();
  assert.ok((await page.getByTestId('table-identities').innerText()).includes(target.userId));
  await page.getByTestId('nav-overview').click();
  await page.getByText('Top sharers', { exact: true }).first().waitFor();
  // The choice survives a reload (localStorage).
  await page.reload();
  await page.getByText('Top products', { exact: true }).first().waitFor();
  await shot('overview-en');

  // ---- recommendations: reached from the menu; the inspector shows real lists with reasons ----
  // train now (the server's own schedule first trains a minute after start), wait for the model
  const trainRes = await fetch(`${baseUrl}/api/v1/recommendations/train`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.ok(trainRes.status === 202 || trainRes.status === 409, `train: ${trainRes.status}`);
  const modelVersion = await waitFor('a trained recommendation model', 240_000, async () => {
    const r = await api<{ version: string | null }>('/api/v1/recommendations/model', token);
    return r.status === 200 && r.json.version ? r.json.version : undefined;
  });
  const inspected = await api<{ user: { precomputed: boolean }; blend: { productId: string; reason: string }[]; models: Record<string, unknown[]> }>(
    `/api/v1/recommendations/inspect?userId=${encodeURIComponent(target.userId)}&lang=en&n=20`, token);
  assert.equal(inspected.status, 200);
  assert.ok(inspected.json.blend.length > 0, 'the API inspector has a blend for the user');
  await page.getByTestId('nav-recommend').click();
  await page.getByTestId('recommend-page').waitFor();
  assert.equal(new URL(page.url()).pathname, '/recommend');
  assert.match(await page.getByTestId('nav-recommend').innerText(), /Recommend/);
  const who = page.locator('[data-testid="rec-user-input"] input, input[data-testid="rec-user-input"]').first();
  await who.fill(target.userId);
  await who.press('Enter');
  await page.getByTestId('rec-inspection').waitFor();
  const blendRows = page.locator('[data-testid="rec-blend"] tbody tr.ant-table-row');
  await blendRows.first().waitFor();
  assert.equal(await blendRows.count(), inspected.json.blend.length, 'the blend table lists what the API serves');
  const blendText = await page.getByTestId('rec-blend').innerText();
  assert.ok(blendText.includes(inspected.json.blend[0]!.productId), 'the first served product is shown');
  assert.ok(blendText.includes(inspected.json.blend[0]!.reason), `its reason is shown: ${inspected.json.blend[0]!.reason}`);
  assert.ok((await page.getByTestId('rec-inspection').innerText()).includes(modelVersion), 'the model version is shown');
  await shot('recommend-inspector-en');
  // the models tab: the evaluation table has the hybrid and its components
  await page.getByRole('tab', { name: 'Models and evaluation' }).click();
  const evalRows = page.locator('[data-testid="rec-eval-table"] tbody tr.ant-table-row');
  await evalRows.first().waitFor();
  assert.ok((await evalRows.count()) >= 3, 'evaluation rows per model');
  assert.match(await page.getByTestId('rec-eval-table').innerText(), /hybrid/);
  await shot('recommend-models-en');

  // ---- a rejected token sends the user back to login ----
  await page.evaluate(`sessionStorage.setItem('liebian.token', 'not-a-valid-token')`);
  await page.getByTestId('nav-events').click();
  await page.waitForURL(/\/login$/);
  await page.getByTestId('login-card').waitFor();

  assert.deepEqual(pageErrors, [], `uncaught page errors: ${pageErrors.join('\n')}`);
  if (consoleErrors.length) t.diagnostic(`console errors (${consoleErrors.length}): ${consoleErrors.slice(0, 5).join(' | ')}`);
});
