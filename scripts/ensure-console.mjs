#!/usr/bin/env node
// Builds the console (console/dist) when it is missing or older than its sources, so `npm start` serves it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'console/dist/index.html');
const newest = (d) => {
  let m = 0;
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    m = Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return m;
};
const src = path.join(root, 'console/src');
if (!fs.existsSync(src)) process.exit(0);
if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newest(src)) process.exit(0);
console.error('building the console (console/dist)...');
const r = spawnSync('npm', ['run', '--silent', 'build:console'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
