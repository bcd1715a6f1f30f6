import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeGenericDataset } from '../../src/modules/recommend/index.ts';
import { syntheticWorld } from './synthetic.ts';

const root = path.resolve(import.meta.dirname, '../..');
const MODELS = ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session', 'hybrid', 'hybrid-nosocial'];

function liebian(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/liebian.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('liebian evaluate end to end on a tiny synthetic dataset: JSON shape, determinism, progress, exit codes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-eval-'));
  try {
    const world = syntheticWorld({ users: 240, items: 100, groups: 4, perUser: 12, friendsPerUser: 4, seed: 9 });
    writeGenericDataset(dir, world);
    const args = ['evaluate', '--dataset', dir, '--split', 'random', '--seed', '7', '--k', '5,10', '--format', 'json', '--threads', '2', '--param', 'als.factors=8', '--param', 'als.iterations=3', '--param', 'ease.tile=16'];
    const a = liebian(args);
    assert.equal(a.code, 0, a.stderr);
    const ja = JSON.parse(a.stdout);
    assert.equal(ja.dataset, path.basename(dir));
    assert.equal(ja.split, 'random');
    assert.deepEqual(Object.keys(ja.models), MODELS);
    for (const name of MODELS) {
      const m = ja.models[name];
      for (const k of [5, 10]) for (const key of ['ndcg', 'recall', 'precision', 'map', 'hit', 'coverage', 'diversity', 'novelty']) assert.equal(typeof m[`${key}@${k}`], 'number', `${name} ${key}@${k}`);
      for (const key of ['train_seconds', 'peak_rss_mb', 'recommend_ms_per_user']) assert.equal(typeof m[key], 'number');
      assert.ok(m['ndcg@10'] >= 0 && m['ndcg@10'] <= 1);
      assert.match(a.stderr, new RegExp(`evaluate: ${name}: trained in`));
    }
    assert.equal(ja.fit.ease.threads, 2);
    // the world has taste groups: collaborative models beat popularity
    assert.ok(ja.models.ease['ndcg@10'] > ja.models.popular['ndcg@10']);
    assert.ok(ja.models.itemknn['ndcg@10'] > ja.models.popular['ndcg@10']);
    // deterministic for a seed (timings aside)
    const b = JSON.parse(liebian(args).stdout);
    const quality = (j: typeof ja) => JSON.stringify(Object.fromEntries(MODELS.map((n) => [n, Object.fromEntries(Object.entries(j.models[n] as Record<string, number>).filter(([k]) => k.includes('@')))])));
    assert.equal(quality(b), quality(ja));
    // markdown, a time split, and leave-last-n
    const md = liebian(['evaluate', '--dataset', dir, '--split', 'time', '--k', '10', '--models', 'popular,session', '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\| model \| NDCG@10 \| Recall@10 \|/);
    assert.match(md.stdout, /\| session \| 0\.\d{4} \|/);
    const lo = liebian(['evaluate', '--dataset', dir, '--split', 'leave-last-n', '--leave-n', '2', '--k', '10', '--models', 'itemknn', '--format', 'json']);
    assert.equal(lo.code, 0, lo.stderr);
    assert.equal(JSON.parse(lo.stdout).split, 'leave-last-n');
    // bad input
    assert.equal(liebian(['evaluate', '--dataset', path.join(dir, 'nope')]).code, 5);
    assert.equal(liebian(['evaluate', '--dataset', dir, '--models', 'nosuch']).code, 2);
    assert.equal(liebian(['evaluate', '--dataset', dir, '--k', 'ten']).code, 2);
    assert.equal(liebian(['evaluate', '--dataset', dir, '--split', 'sideways']).code, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
