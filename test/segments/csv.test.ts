import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvLine, UTF8_BOM } from '../../src/platform/csv.ts';

// Formula-injection safety (OWASP CSV injection) and RFC 4180 quoting of CSV cells.

test('cells that a spreadsheet would evaluate get a leading quote', () => {
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+86 138'), "'+86 138");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1:A9)'), "'@SUM(A1:A9)");
  assert.equal(csvCell('\tcmd'), "'\tcmd");
  assert.equal(csvCell('\r=cmd'), `"'\r=cmd"`);
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
});

test('safe text, numbers and empties are written as they are; quoting per RFC 4180', () => {
  assert.equal(csvCell('张三'), '张三');
  assert.equal(csvCell('a=b'), 'a=b');
  assert.equal(csvCell("'already"), "'already");
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(-12.5), '-12.5');
  assert.equal(csvCell(0), '0');
  assert.equal(csvCell(NaN), '');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(true), 'true');
  assert.equal(csvCell(new Date('2026-01-02T03:04:05Z')), '2026-01-02T03:04:05.000Z');
  assert.equal(csvLine(['a', 1, null, '=x']), "a,1,,'=x\r\n");
  assert.equal(UTF8_BOM, '\uFEFF');
});
