/**
 * PostgreSQL's writer sends each column of a batch's rows as one array literal (write-postgres.ts
 * `columnsReader`): strings quoted as node-postgres quotes an array's elements, numbers as their
 * text, null and a left-out column as NULL, and a column of anything else as the array itself.
 */
import { describe, expect, it } from 'vitest';
import { columnsReader } from './write-postgres.js';

const cols = (...names: string[]) => names.map((name) => ({ name, type: 'text' }));

describe("PostgreSQL writer's columns", () => {
  it('writes each column as an array literal, in the rows’ order', () => {
    const read = columnsReader(cols('id', 'n', 'note'));
    const rows = [
      { id: 'a', n: 1, note: 'say "hi"' },
      { id: 'b\\c', n: 1_800_000_000_000, note: null },
      { id: 'd', n: -5 },
    ];
    expect(read(rows)).toEqual(['{"a","b\\\\c","d"}', '{1,1800000000000,-5}', '{"say \\"hi\\"",NULL,NULL}']);
    expect(read([])).toEqual(['{}', '{}', '{}']);
  });

  it('hands a column of anything but strings, numbers and nulls to node-postgres as the array itself', () => {
    const read = columnsReader(cols('id', 'flag'));
    expect(read([{ id: 'a', flag: true }, { id: 'b' }, { id: 'c', flag: null }])).toEqual(['{"a","b","c"}', [true, null, null]]);
  });

  it('reads a column name as a key, never as code', () => {
    const odd = 'x"]; globalThis.columnsReaderRan = 1; //';
    const read = columnsReader(cols(odd));
    expect(read([{ [odd]: 'v' }])).toEqual(['{"v"}']);
    expect((globalThis as Record<string, unknown>).columnsReaderRan).toBeUndefined();
  });

  it('compiles one reader per column list and keeps it', () => {
    const list = cols('a');
    expect(columnsReader(list)).toBe(columnsReader(list));
  });
});
