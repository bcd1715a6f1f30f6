import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { startTestApp } from '../helpers/engine.ts';
import { runImport } from '../../src/cli/import/run.ts';
import { parseMapping } from '../../src/cli/import/mapping.ts';
import { recomputeAll, type RecomputeResult } from '../../src/flows/traits-recompute.ts';

/** The CDNOW dataset beside the project (../shared/datasets/cdnow). */
export const CDNOW = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/datasets/cdnow');

/**
 * CDNOW_master.txt (23,570 customers, 69,659 purchases) imported into a test app through the public
 * path (`liebian import`'s runImport, CSV with a column mapping), then the traits recomputed as of
 * 1998-06-30 with RFM over all history; returns the recompute's result.
 */
export async function importCdnowMaster(t: Awaited<ReturnType<typeof startTestApp>>): Promise<RecomputeResult> {
  await t.engine.op.query(`update workspaces set settings = jsonb_set(settings, '{profiles}', $1::jsonb) where id = 'default'`, [
    JSON.stringify({ rfm: { windowDays: null }, churn: { horizonDays: 90 } }),
  ]);
  const mapping = parseMapping('userId=customer_id,timestamp=date,properties.quantity=number_of_cds,properties.total=dollar_value', 'track', 'Order Completed');
  const imp = await runImport(t.engine, { file: path.join(CDNOW, 'CDNOW_master.txt'), format: 'csv', delimiter: 'whitespace', mapping, workspace: 'default', skipInvalid: false, batchSize: 5000 });
  assert.equal(imp.imported, 69_659);
  assert.ok(await t.engine.workers.waitIdle(120_000));
  return recomputeAll(t.engine.op, t.engine.es, { workspace: 'default', asOf: '1998-06-30' });
}
