// Boots a batch-parse thread: the TypeScript sources run through tsx, as in bin/liebian.mjs.
// (A worker does not inherit the parent's in-process tsx registration.)
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
