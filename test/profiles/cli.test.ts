import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpDir } from '../helpers/engine.ts';

// `liebian recompute` as a user runs it: on a data dir written by `liebian simulate`.

const dir = tmpDir('liebian-recompute-cli-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, ['bin/liebian.mjs', ...args], {
  encoding: 'utf8', env: { ...process.env, LIEBIAN_DATA_DIR: dir, LIEBIAN_LOG_LEVEL: 'silent' }, timeout: 120_000,
});

test('recompute --help exits 0; a bad --as-of exits 2', () => {
  const help = run('recompute', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--as-of/);
  const bad = run('recompute', '--as-of', '2026-13-45');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--as-of/);
});

test('recompute on a simulated world prints its summary', () => {
  const sim = run('simulate', '--users', '150', '--days', '30', '--start-date', '2026-01-01', '--data-dir', dir);
  assert.equal(sim.status, 0, sim.stderr);
  const r = run('recompute', '--data-dir', dir, '--as-of', '2026-01-30');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { asOf: string; live: boolean; profiles: number; buyers: number; phaseMs: Record<string, number> };
  assert.equal(out.asOf, '2026-01-30');
  assert.equal(out.live, false);
  assert.ok(out.profiles >= 150 && out.buyers > 10, r.stdout);
  assert.match(r.stderr, /recompute: \d+ profiles/);
});
