/**
 * No protected value in an error, second layer: for a read by a role with rules
 * (ReadRequest.quietData), a data error of each engine reaches the client without the
 * values its message quotes — however the value is shaped — and still says what went
 * wrong. Without the flag the message is shown as before.
 */
import { describe, expect, it } from 'vitest';
import { toBastionError as mysqlError } from '../../src/engines/mysql/errors.js';
import { toBastionError as postgresError } from '../../src/engines/postgres-family/wire/errors.js';
import { toBastionError as sqliteError } from '../../src/engines/sqlite/errors.js';
import { withoutQuotedValues } from '../../src/util/quoted-values.js';

const MARKER = 'zed.marker@corp.example';

describe('withoutQuotedValues', () => {
  it.each([
    ['invalid input syntax for type integer: "zed.marker@corp.example"', 'invalid input syntax for type integer: "…"'],
    ['invalid input syntax for type integer: "a" is fine "zed.marker@corp.example"', 'invalid input syntax for type integer: "…"'],
    ['invalid input syntax for type integer: "it\'s zed.marker@corp.example', 'invalid input syntax for type integer: "…"'],
    ['invalid byte sequence for encoding "UTF8": 0xe9 0x41', 'invalid byte sequence for encoding "…": 0x… 0x…'],
    ['division by zero', 'division by zero'],
  ])('%s', (message, shown) => {
    expect(withoutQuotedValues(message, ['"', "'"])).toBe(shown);
  });
});

describe('PostgreSQL and PGlite', () => {
  const cast = { code: '22P02', message: `invalid input syntax for type integer: "${MARKER}"` };

  it('a bad cast quotes no value when the read is quiet, and names the type', () => {
    const error = postgresError(cast, true);
    expect(error.code).toBe('QUERY_FAILED');
    expect(error.message).not.toContain(MARKER);
    expect(error.message).toContain('invalid input syntax for type integer: "…"');
  });

  it('a value that carries quotes of its own leaves nothing behind', () => {
    const error = postgresError({ code: '22P02', message: `invalid input syntax for type integer: "x" and "${MARKER}"` }, true);
    expect(error.message).not.toContain('marker');
  });

  it("a routine's own message is not shown to a quiet read", () => {
    expect(postgresError({ code: '38000', message: `raised ${MARKER}` }, true).message).not.toContain(MARKER);
  });

  it('a read that is not quiet still sees the message as the server wrote it', () => {
    expect(postgresError(cast).message).toContain(MARKER);
  });

  it('statement errors keep their names when quiet: they quote the statement, not data', () => {
    expect(postgresError({ code: '42703', message: 'column "nosuch" does not exist' }, true).message).toContain('"nosuch"');
  });
});

describe('MySQL and MariaDB', () => {
  const truncated = { errno: 1292, sqlState: '22007', sqlMessage: `Truncated incorrect DOUBLE value: '${MARKER}'` };

  it('a data error quotes no value when the read is quiet', () => {
    const error = mysqlError(truncated, true);
    expect(error.message).not.toContain(MARKER);
    expect(error.message).toContain("Truncated incorrect DOUBLE value: '…'");
  });

  it('a duplicate entry quotes no value when quiet', () => {
    expect(mysqlError({ errno: 1062, sqlState: '23000', sqlMessage: `Duplicate entry '${MARKER}' for key 'email'` }, true).message).not.toContain(MARKER);
  });

  it('a read that is not quiet still sees the message', () => {
    expect(mysqlError(truncated).message).toContain(MARKER);
  });
});

describe('SQLite', () => {
  it('a JSON path built from a value is not quoted back when quiet; a syntax error keeps its text', () => {
    const error = sqliteError({ ok: false, id: 1, code: 'SQLITE_ERROR', message: `JSON path error near '${MARKER}'` } as never, true);
    expect(error.message).not.toContain(MARKER);
    const syntax = sqliteError({ ok: false, id: 1, code: 'SQLITE_ERROR', message: 'near "SELEC": syntax error' } as never, true);
    expect(syntax.message).toContain('"SELEC"');
  });

  it('a constraint message quotes no value when quiet', () => {
    const error = sqliteError({ ok: false, id: 1, code: 'SQLITE_CONSTRAINT_CHECK', message: `CHECK constraint failed: email <> '${MARKER}'` } as never, true);
    expect(error.message).not.toContain(MARKER);
  });
});
