import { Readable } from 'node:stream';
import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appError } from '../platform/errors.ts';
import { csvLine, UTF8_BOM } from '../platform/csv.ts';
import { EXPORT_TRAIT_COLUMNS, traitsOfProfiles } from '../modules/profiles/index.ts';
import { getSegment, membersPage } from '../modules/segments/index.ts';

/**
 * A saved segment's members as CSV (docs/segments.md, "Export"): `profileId,userId,<traits…>`,
 * UTF-8 with a BOM, formula-injection safe (src/platform/csv.ts), streamed page by page (5,000
 * members by profile id, each page's traits in one read), so memory stays flat on big segments.
 * The members are the materialised membership as the pages are read (a refresh during a long
 * export can move people between pages already written and pages not yet written).
 */

const camel = (c: string) => c.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase());
/** Exportable traits by API name (camelCase, as in GET /api/v1/users/:id/traits) → column. */
export const EXPORT_TRAITS: ReadonlyMap<string, string> = new Map(EXPORT_TRAIT_COLUMNS.filter((c) => c !== 'user_id').map((c) => [camel(c), c]));
export const DEFAULT_EXPORT_TRAITS = ['orders', 'gmv', 'lastOrderAt', 'rfmSegment', 'lifecycleStage'];
export const EXPORT_PAGE = 5_000;

/** Checks the segment and the trait names (404 / 400 before any byte is sent), then returns the CSV stream. */
export async function exportSegmentCsv(op: SqlRunner, es: EventStoreDb, ws: string, segmentId: string, traits: readonly string[] = DEFAULT_EXPORT_TRAITS): Promise<{ name: string; stream: Readable }> {
  const seg = await getSegment(op, ws, segmentId);
  if (!seg) throw appError('NOT_FOUND', `no segment ${segmentId}`);
  const bad = traits.map((t, i) => ({ t, i })).filter(({ t }) => !EXPORT_TRAITS.has(t));
  if (bad.length) {
    throw appError('VALIDATION_FAILED', `query.traits: unknown trait ${bad[0]!.t}`,
      bad.map(({ t, i }) => ({ path: `query.traits.${i}`, message: `unknown or non-exportable trait ${t}` })));
  }
  const columns = traits.map((t) => EXPORT_TRAITS.get(t)!);
  async function* lines() {
    yield UTF8_BOM + csvLine(['profileId', 'userId', ...traits]);
    let cursor: string | null = null;
    do {
      const page = await membersPage(es, ws, segmentId, cursor, EXPORT_PAGE);
      const values = columns.length ? await traitsOfProfiles(es, ws, page.members.map((m) => m.profileId), columns) : new Map();
      let chunk = '';
      for (const m of page.members) {
        const v = values.get(m.profileId) as Record<string, unknown> | undefined;
        chunk += csvLine([m.profileId, m.userId, ...columns.map((c) => v?.[c] ?? null)]);
      }
      if (chunk) yield chunk;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return { name: seg.name, stream: Readable.from(lines(), { objectMode: false }) };
}
