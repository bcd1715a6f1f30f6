/** The event store: the raw event log in DuckDB and analytical SQL over it. */
export { migrateEventStore, eventStoreSchemaVersion } from './schema.ts';
export { appendEvents, eventStoreCursor, type LoggedEvent } from './append.ts';
export * as eventQueries from './queries.ts';
export type { EventRow } from './queries.ts';
