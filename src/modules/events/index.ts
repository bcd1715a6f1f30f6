/** The event store: the raw event log in DuckDB and analytical SQL over it. */
export { migrateEventStore, eventStoreSchemaVersion } from './schema.ts';
export { appendEvents, eventStoreCursor, storedPosition, orderLinesOf, type LoggedEvent, type OrderLine } from './append.ts';
export { warmEventLog } from './warm.ts';
export * as eventQueries from './queries.ts';
export type { EventRow } from './queries.ts';
export { FIELD_PATHS, FIELD_NAMES, eventFieldsOf, extractedText, type FieldName } from './fields.ts';
