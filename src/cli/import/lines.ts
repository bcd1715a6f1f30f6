import fs from 'node:fs';

/** Reads a file line by line from a byte offset, yielding each line with the offset just past it. */
export async function* linesFrom(file: string, start: number, firstLineNo = 0): AsyncGenerator<{ line: string; end: number; lineNo: number }> {
  const stream = fs.createReadStream(file, { start, highWaterMark: 1 << 20 });
  let rest: Buffer = Buffer.alloc(0);
  let offset = start;
  let lineNo = firstLineNo;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(10, from);
      if (nl < 0) break;
      offset += nl - from + 1;
      lineNo++;
      yield { line: buf.subarray(from, nl).toString('utf8').replace(/\r$/, ''), end: offset, lineNo };
      from = nl + 1;
    }
    rest = buf.subarray(from);
  }
  if (rest.length) {
    offset += rest.length;
    lineNo++;
    yield { line: rest.toString('utf8').replace(/\r$/, ''), end: offset, lineNo };
  }
}
