// Boots a worker thread whose code is TypeScript: registers tsx (a worker does not inherit the
// parent's in-process registration, see bin/liebian.mjs), then imports the module given as the
// worker's first argv entry (tsWorker in index.ts).
import { register } from 'tsx/esm/api';
register();
await import(process.argv[2]);
