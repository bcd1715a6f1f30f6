import fs from 'node:fs';

/**
 * Reads a delimited text file's lines as fields (CRLF or LF; empty lines skipped). `header`
 * drops the first line. Throws with the file and line number on a short line.
 */
export function readRows(file: string, sep: string | RegExp, opts: { header: boolean; minFields: number }): string[][] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  const out: string[][] = [];
  for (let i = opts.header ? 1 : 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) continue;
    const f = line.split(sep);
    if (f.length < opts.minFields) throw new Error(`${file}:${i + 1}: expected ${opts.minFields} fields, got ${f.length}`);
    out.push(f);
  }
  return out;
}

/** Interns external ids to dense indices in order of first appearance. */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly map = new Map<string, number>();
  get(id: string): number {
    let i = this.map.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.map.set(id, i);
    }
    return i;
  }
  find(id: string): number | undefined {
    return this.map.get(id);
  }
  get size(): number {
    return this.ids.length;
  }
}

/** Parses a finite number or throws naming the file. */
export function num(s: string, where: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) throw new Error(`${where}: not a number: ${JSON.stringify(s)}`);
  return v;
}
