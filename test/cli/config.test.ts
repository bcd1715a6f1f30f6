import test from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';

test('ingest settings: defaults, values, and a bad value refused naming the variable', () => {
  // One parse thread when a second core exists, none on one core.
  const threads = os.availableParallelism() > 1 ? 1 : 0;
  assert.deepEqual(loadConfig({}).ingest, { lanes: undefined, groupEvents: 400, parseThreads: threads });
  assert.deepEqual(
    loadConfig({ LIEBIAN_INGEST_LANES: '2', LIEBIAN_INGEST_GROUP_EVENTS: '800', LIEBIAN_INGEST_PARSE_THREADS: '0' }).ingest,
    { lanes: 2, groupEvents: 800, parseThreads: 0 },
  );
  const bad = [['LIEBIAN_INGEST_LANES', '0'], ['LIEBIAN_INGEST_LANES', 'many'], ['LIEBIAN_INGEST_GROUP_EVENTS', '6000'], ['LIEBIAN_INGEST_PARSE_THREADS', '-1'], ['LIEBIAN_INGEST_PARSE_THREADS', '17']] as const;
  for (const [name, value] of bad) {
    assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), `${name}=${value}`);
  }
});
