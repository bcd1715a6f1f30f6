/** UTF-16 code unit adjusted so that comparing code units orders strings as UTF-8 bytes. */
const unit = (c: number) => (c >= 0xd800 && c < 0xe000 ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c);

/** Compares strings as DuckDB's binary collation does (UTF-8 byte order). */
export function cmpUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}
