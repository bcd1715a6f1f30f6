#!/usr/bin/env node
// `npm test`: the whole suite with node's test runner (through tsx). Uses PostgreSQL too when
// DATABASE_URL_TEST is set or one answers on 127.0.0.1:5432 (database `test`); says which.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const files = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.ts$/.test(e.name)) files.push(path.relative(root, p));
  }
};
walk(path.join(root, 'test'));
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;

const pgUp = () => new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port: 5432 });
  s.setTimeout(1000);
  s.on('connect', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
  s.on('timeout', () => { s.destroy(); resolve(false); });
});
const env = { ...process.env };
if (!env.DATABASE_URL_TEST && (await pgUp())) env.DATABASE_URL_TEST = 'postgres://postgres@127.0.0.1:5432/test';
console.log(env.DATABASE_URL_TEST ? `operational-store suites run on PGlite and PostgreSQL (${env.DATABASE_URL_TEST.replace(/\/\/[^@]*@/, '//')})` : 'no PostgreSQL found: operational-store suites run on PGlite only');

if (selected.some((f) => f.startsWith('test/browser')) && !fs.existsSync(path.join(root, 'console/dist/index.html'))) {
  const b = spawnSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'inherit', env });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...selected], { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
