/**
 * Preloaded into a Liebian server by `npm run bench:ingest -- --sql-profile` (PGlite only): charges
 * the time PGlite spends executing each protocol message (synchronously, in WASM, on the event-loop
 * thread) to its SQL statement, and writes the table to $LIEBIAN_BENCH_SQL_PROFILE at exit. JS-side
 * result parsing is not included. Not part of the server.
 */
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

const out = process.env.LIEBIAN_BENCH_SQL_PROFILE;
if (out) {
  const proto = PGlite.prototype as unknown as { execProtocolRawSync: (msg: Uint8Array, ...rest: unknown[]) => unknown };
  const orig = proto.execProtocolRawSync;
  const stats = new Map<string, { n: number; ms: number }>();
  let lastParsed = '(unknown)';
  // The ingest bench SIGSTOPs a server while it measures another one; a message that was executing
  // then would be charged the whole pause. Executions this long are counted apart, not charged.
  const PAUSED_MS = 2000;
  let paused = 0;
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  proto.execProtocolRawSync = function (this: unknown, msg: Uint8Array, ...rest: unknown[]) {
    const t = performance.now();
    try {
      return orig.call(this, msg, ...rest);
    } finally {
      record(msg, performance.now() - t);
    }
  };
  function record(msg: Uint8Array, ms: number) {
    const tag = String.fromCharCode(msg[0] ?? 0);
    if (tag === 'P') {
      // Parse: 'P', int32 length, statement name \0, query \0, ...
      const s = text(msg.subarray(5));
      const z = s.indexOf('\0');
      lastParsed = s.slice(z + 1, s.indexOf('\0', z + 1)).replace(/\s+/g, ' ').trim().slice(0, 100);
    }
    if (ms > PAUSED_MS) {
      paused++;
      return;
    }
    const key = tag === 'Q' ? text(msg.subarray(5)).replace(/\0/g, '').replace(/\s+/g, ' ').trim().slice(0, 100) : lastParsed;
    const st = stats.get(key) ?? { n: 0, ms: 0 };
    st.n++;
    st.ms += ms;
    stats.set(key, st);
  }
  process.on('exit', () => {
    const total = [...stats.values()].reduce((a, s) => a + s.ms, 0);
    const lines = [
      `PGlite execution time by statement: ${(total / 1000).toFixed(1)} s in all (protocol messages; JS result parsing not included;`,
      `${paused} message(s) over ${PAUSED_MS} ms left out: the process was paused)`,
      '',
    ];
    for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) {
      lines.push(`${((s.ms / total) * 100).toFixed(1).padStart(5)}%  ${(s.ms / 1000).toFixed(2).padStart(7)} s  ${String(s.n).padStart(8)} msgs  ${k}`);
    }
    fs.writeFileSync(out, lines.join('\n') + '\n');
  });
}
