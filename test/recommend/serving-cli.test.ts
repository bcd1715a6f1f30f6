import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpDir } from '../helpers/engine.ts';
import { currentVersion, readMeta } from '../../src/modules/recommend/index.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const liebian = (args: string[]) => spawnSync(process.execPath, ['bin/liebian.mjs', ...args], { encoding: 'utf8', env: { ...process.env, LIEBIAN_LOG_LEVEL: 'silent' }, timeout: 300_000 });

test('liebian train: progress per model, an evaluation table, a new version on disk; bad options and too little data refused', async () => {
  const empty = tmpDir('liebian-train-empty-');
  dirs.push(empty);
  const none = liebian(['train', '--data-dir', empty]);
  assert.equal(none.status, 5, none.stderr);
  assert.match(none.stderr, /not enough data/);

  const bad = liebian(['train', '--data-dir', empty, '--models', 'itemknn,telepathy']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--models/);

  const dir = tmpDir('liebian-train-');
  dirs.push(dir);
  const sim = liebian(['simulate', '--users', '200', '--days', '15', '--data-dir', dir]);
  assert.equal(sim.status, 0, sim.stderr);
  const r = liebian(['train', '--data-dir', dir, '--models', 'itemknn,session,social', '--format', 'md']);
  assert.equal(r.status, 0, r.stderr);
  for (const step of ['[1/5] popular: training', 'itemknn: trained in', 'session: trained in', 'social: trained in', '[5/5] hybrid']) assert.ok(r.stderr.includes(step), `progress "${step}" in:\n${r.stderr}`);
  assert.match(r.stdout, /\| hybrid \| 1 \| 0\.\d{4} \|/);
  const root = path.join(dir, 'models', 'default');
  const v = currentVersion(root);
  assert.ok(v && r.stdout.includes(v));
  const meta = readMeta(path.join(root, v));
  assert.deepEqual(meta.hybrid.components, ['popular', 'itemknn', 'session', 'social']);
  assert.ok(meta.counts.usersWithLists! > 50);
});
