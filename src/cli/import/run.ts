import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Engine } from '../../engine.ts';
import { encodeMessage, type EncodedEvents } from '../../modules/ingest/index.ts';
import { isAppError } from '../../platform/errors.ts';
import { linesFrom } from './lines.ts';
import { fileKeyOf, lineMessageId, rowToMessage, type CsvMapping } from './mapping.ts';

export interface ImportOptions {
  file: string;
  format: 'ndjson' | 'csv';
  workspace: string;
  mapping?: CsvMapping;
  delimiter: ',' | '\t' | 'whitespace';
  skipInvalid: boolean;
  batchSize: number;
  onProgress?: (bytes: number, total: number) => void;
  /** Stops after this many lines (tests simulate an interruption with it). */
  maxLines?: number;
}

export interface ImportResult { imported: number; skipped: number; resumedFrom: number; complete: boolean; checkpoint: string }

interface Checkpoint { file: string; offset: number; lineNo: number; imported: number; skipped: number; header?: string[]; complete?: boolean }

/**
 * Imports a file through the ingestion path, resumable: a checkpoint in `<dataDir>/imports/`
 * records the byte offset up to which every line is durably stored. Lines without a messageId get
 * a stable one from the file and line number, so a re-run or resume never doubles an event.
 */
export async function runImport(engine: Engine, o: ImportOptions): Promise<ImportResult> {
  const abs = path.resolve(o.file);
  const size = fs.statSync(abs).size;
  const fd = fs.openSync(abs, 'r');
  const head = Buffer.alloc(Math.min(4096, size));
  fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const key = fileKeyOf(abs, size, head);
  const dir = path.join(engine.config.dataDir, 'imports');
  fs.mkdirSync(dir, { recursive: true });
  const cpFile = path.join(dir, `${key}.json`);
  const cp: Checkpoint = fs.existsSync(cpFile) ? JSON.parse(fs.readFileSync(cpFile, 'utf8')) : { file: abs, offset: 0, lineNo: 0, imported: 0, skipped: 0 };
  const resumedFrom = cp.offset;
  if (cp.complete) return { imported: cp.imported, skipped: cp.skipped, resumedFrom, complete: true, checkpoint: cpFile };
  const save = () => fs.writeFileSync(cpFile + '.tmp', JSON.stringify(cp)) === undefined && fs.renameSync(cpFile + '.tmp', cpFile);

  const splitCsv = (line: string): string[] =>
    o.delimiter === 'whitespace' ? line.trim().split(/\s+/) : (parseCsv(line, { delimiter: o.delimiter, relax_quotes: true, relax_column_count: true })[0] as string[] | undefined) ?? [];

  // Validated and serialised once per line (encodeMessage); the writer takes them as they are.
  let batch: EncodedEvents = { messageIds: [], bodies: [] };
  let batchEnd = cp.offset;
  let batchLine = cp.lineNo;
  const inFlight: Array<{ p: Promise<unknown>; end: number; lineNo: number; n: number }> = [];
  const settle = async () => {
    const f = inFlight.shift()!;
    await f.p;
    cp.offset = f.end;
    cp.lineNo = f.lineNo;
    cp.imported += f.n;
    save();
    o.onProgress?.(cp.offset, size);
  };
  const flush = () => {
    const n = batch.messageIds.length;
    if (!n) return;
    inFlight.push({ p: engine.writer.writeEncoded(o.workspace, batch).then(() => engine.workers.poke()), end: batchEnd, lineNo: batchLine, n });
    batch = { messageIds: [], bodies: [] };
  };

  let seen = 0;
  for await (const { line, end, lineNo } of linesFrom(abs, cp.offset, cp.lineNo)) {
    if (!line.trim()) {
      batchEnd = end;
      batchLine = lineNo;
      continue;
    }
    let msg: unknown;
    try {
      if (o.format === 'ndjson') {
        msg = JSON.parse(line);
        if (msg && typeof msg === 'object' && !Array.isArray(msg) && !(msg as { messageId?: unknown }).messageId) {
          (msg as Record<string, unknown>).messageId = lineMessageId(key, lineNo);
        }
      } else {
        const cells = splitCsv(line);
        if (!cp.header) {
          cp.header = cells.map((c) => c.trim());
          batchEnd = end;
          batchLine = lineNo;
          continue;
        }
        const row: Record<string, string> = {};
        cp.header.forEach((h, i) => (row[h] = cells[i] ?? ''));
        msg = rowToMessage(row, o.mapping!, lineMessageId(key, lineNo));
      }
      const one = encodeMessage(msg, 0, new Date());
      batch.messageIds.push(one.messageIds[0]!);
      batch.bodies.push(one.bodies[0]!);
      batchEnd = end;
      batchLine = lineNo;
    } catch (e) {
      const why = isAppError(e) ? `${e.message}${e.details ? ' ' + JSON.stringify(e.details) : ''}` : (e as Error).message;
      if (!o.skipInvalid) {
        flush();
        while (inFlight.length) await settle();
        throw Object.assign(new Error(`line ${lineNo}: ${why} (fix it, or pass --skip-invalid; the import resumes after the last stored line)`), { code: 'INPUT' });
      }
      cp.skipped++;
      batchEnd = end;
      batchLine = lineNo;
    }
    if (batch.messageIds.length >= o.batchSize) flush();
    while (inFlight.length >= 4) await settle();
    if (o.maxLines !== undefined && ++seen >= o.maxLines) {
      flush();
      while (inFlight.length) await settle();
      return { imported: cp.imported, skipped: cp.skipped, resumedFrom, complete: false, checkpoint: cpFile };
    }
  }
  flush();
  while (inFlight.length) await settle();
  cp.offset = size;
  cp.complete = true;
  save();
  return { imported: cp.imported, skipped: cp.skipped, resumedFrom, complete: true, checkpoint: cpFile };
}
