import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';

test('ingest lane settings: defaults, values, and a bad value refused naming the variable', () => {
  assert.deepEqual(loadConfig({}).ingest, { lanes: undefined, groupEvents: 400 });
  assert.deepEqual(loadConfig({ LIEBIAN_INGEST_LANES: '2', LIEBIAN_INGEST_GROUP_EVENTS: '800' }).ingest, { lanes: 2, groupEvents: 800 });
  for (const [name, value] of [['LIEBIAN_INGEST_LANES', '0'], ['LIEBIAN_INGEST_LANES', 'many'], ['LIEBIAN_INGEST_GROUP_EVENTS', '6000']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), `${name}=${value}`);
  }
});
