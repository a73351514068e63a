// quote() is the only way values enter our ClickHouse SQL (18.16 has no server-side parameters):
// every value must come back from the server exactly as it went in, and none may end the literal.
import { describe, expect, it } from 'vitest';
import { quote, identifier, splitStatements } from './clickhouse.ts';

describe('quote', () => {
  it.each([
    ['plain', "'plain'"],
    ["O'Brien", "'O\\'Brien'"],
    ['back\\slash', "'back\\\\slash'"],
    ["\\'; DROP TABLE cdrs; --", "'\\\\\\'; DROP TABLE cdrs; --'"],
    ['line\nbreak\ttab\rcr', "'line\\nbreak\\ttab\\rcr'"],
    ['nul\0byte', "'nul\\0byte'"],
    ['', "''"],
  ])('escapes %j', (value, expected) => {
    expect(quote(value)).toBe(expected);
  });

  it.each([
    [42, '42'],
    [-1.5, '-1.5'],
    [true, '1'],
    [false, '0'],
    [null, 'NULL'],
  ])('renders %j', (value, expected) => {
    expect(quote(value)).toBe(expected);
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s', (value) => {
    expect(() => quote(value)).toThrow(/non-finite/);
  });

  it('never leaves an unescaped quote that could end the literal', () => {
    for (const value of ["'", "\\'", "\\\\'", "''", "a'b'c", "\\", "x\\", "'\\"]) {
      const body = quote(value).slice(1, -1);
      // Walk the literal as ClickHouse does: a backslash escapes the next character.
      for (let i = 0; i < body.length; i++) {
        if (body[i] === '\\') i++;
        else expect(body[i]).not.toBe("'");
      }
    }
  });
});

describe('identifier', () => {
  it.each(['cdrs', 'ocpi_hub_test_1', '_x'])('accepts %s', (name) => expect(identifier(name)).toBe(name));
  it.each(['1abc', 'a-b', 'a;b', "x'", 'a b', ''])('refuses %j', (name) => expect(() => identifier(name)).toThrow());
});

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    expect(splitStatements("-- c\nCREATE TABLE a (x String);\nSELECT ';' ;\n")).toEqual(['CREATE TABLE a (x String)', "SELECT ';'"]);
  });
});
