/**
 * CSV writing (RFC 4180) that spreadsheets cannot turn into formulas: a text cell starting with
 * `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` (OWASP "CSV injection"), and any cell holding
 * a comma, quote, CR or LF is quoted with inner quotes doubled. Numbers are written as numbers
 * (a negative number stays a number: it is not text a spreadsheet evaluates). Lines end in CRLF.
 */

/** UTF-8 byte order mark, so Excel reads the file as UTF-8 (Chinese text intact). */
export const UTF8_BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
  if (FORMULA_START.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}
