import { createHash } from 'node:crypto';

/**
 * Turns a CSV row into a Segment message. `map` is `target=column` pairs; targets are
 * messageId, userId, anonymousId, timestamp, event, type, name, properties.<key>, traits.<key>,
 * context.<key>. Numbers look like numbers; timestamps may be ISO 8601, YYYYMMDD, or unix seconds / ms.
 */
export interface CsvMapping {
  targets: Array<{ target: string; column: string }>;
  type: string;
  event?: string;
}

const TOP = new Set(['messageId', 'userId', 'anonymousId', 'timestamp', 'event', 'type', 'name', 'previousId', 'groupId']);

export function parseMapping(spec: string, type: string, event?: string): CsvMapping {
  const targets = spec.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const [target, column] = pair.split('=').map((s) => s?.trim());
    if (!target || !column) throw new Error(`bad --map entry "${pair}": use target=column`);
    if (!TOP.has(target) && !/^(properties|traits|context)\.[A-Za-z0-9_]+$/.test(target)) {
      throw new Error(`bad --map target "${target}": use messageId, userId, anonymousId, timestamp, event, type, name, properties.<key>, traits.<key> or context.<key>`);
    }
    return { target, column };
  });
  if (!targets.some((t) => t.target === 'userId' || t.target === 'anonymousId')) throw new Error('--map needs userId=<column> or anonymousId=<column>');
  return { targets, type, event };
}

export function parseTimestamp(v: string): string | null {
  const s = v.trim();
  if (/^\d{8}$/.test(s)) return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T00:00:00.000Z`;
  if (/^\d{9,10}$/.test(s)) return new Date(Number(s) * 1000).toISOString();
  if (/^\d{12,13}$/.test(s)) return new Date(Number(s)).toISOString();
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

const scalar = (v: string): string | number | boolean => (/^-?\d+(\.\d+)?$/.test(v.trim()) && v.trim().length < 16 ? Number(v) : v === 'true' ? true : v === 'false' ? false : v);

export function rowToMessage(row: Record<string, string>, m: CsvMapping, fallbackId: string): Record<string, unknown> {
  const msg: Record<string, unknown> = { type: m.type };
  if (m.event) msg.event = m.event;
  for (const { target, column } of m.targets) {
    const v = row[column];
    if (v === undefined || v === '') continue;
    if (target === 'timestamp') {
      msg.timestamp = parseTimestamp(v) ?? v;
    } else if (TOP.has(target)) {
      msg[target] = v;
    } else {
      const [section, key] = target.split('.') as [string, string];
      const obj = (msg[section] as Record<string, unknown> | undefined) ?? {};
      obj[key] = scalar(v);
      msg[section] = obj;
    }
  }
  if (!msg.messageId) msg.messageId = fallbackId;
  return msg;
}

/** A stable id for line N of a file, so a re-import deduplicates instead of doubling. */
export function lineMessageId(fileKey: string, lineNo: number): string {
  return `imp-${fileKey}-${lineNo}`;
}

export function fileKeyOf(absPath: string, size: number, firstBytes: Buffer): string {
  return createHash('sha256').update(absPath).update(String(size)).update(firstBytes).digest('hex').slice(0, 16);
}
