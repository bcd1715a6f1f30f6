import { parentPort } from 'node:worker_threads';
import { parseBatch } from './parse.ts';
import { toWire, type Job } from './wire.ts';

/** A parse thread: batch bodies in, validated events (one transferred buffer per request) out. */
parentPort!.on('message', (job: Job) => {
  const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
  const { reply, transfer } = toWire(job.id, parseBatch(raw, job.encoding, new Date(job.receivedAt)));
  parentPort!.postMessage(reply, transfer);
});
parentPort!.postMessage('ready');
