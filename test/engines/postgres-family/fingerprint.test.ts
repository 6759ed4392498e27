/**
 * The audit fingerprint of the PostgreSQL family, taken from the parse tree the policy
 * walked (one parse per call): which statements it groups and which it tells apart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SqlPolicy } from '../../../src/engines/postgres-family/policy/policy.js';

let policy: SqlPolicy;
beforeAll(async () => {
  policy = await SqlPolicy.create();
});

const fp = (sql: string): string | undefined => policy.fingerprint(sql);

describe('PostgreSQL-family audit fingerprint', () => {
  it.each([
    ['constants', 'SELECT a FROM t WHERE id = 1', "SELECT a FROM t WHERE id = 42 AND true"],
    ['string constants', "SELECT a FROM t WHERE name = 'alice'", "SELECT a FROM t WHERE name = 'bob'"],
    ['lists of constants of any length', 'SELECT a FROM t WHERE id IN (1, 2)', 'SELECT a FROM t WHERE id IN (1, 2, 3, 4)'],
    ['parameter numbers', 'SELECT a FROM t WHERE id = $1', 'SELECT a FROM t WHERE id = $2'],
    ['output column names', 'SELECT a AS foo FROM t', 'SELECT a AS bar FROM t'],
    ['spacing, case of keywords and comments', 'SELECT a FROM t', 'select   a\n from t -- who\n'],
    ['casts of constants', "SELECT a FROM t WHERE d > '2024-01-01'::date", "SELECT a FROM t WHERE d > '1999-12-31'::date"],
  ])('groups statements that differ only in %s', (_what, a, b) => {
    // (the first pair differs in one more condition on purpose: it must NOT group)
    if (a.includes('id = 1')) {
      expect(fp(a)).not.toBe(fp(b));
      expect(fp('SELECT a FROM t WHERE id = 1')).toBe(fp('SELECT a FROM t WHERE id = 987654'));
      return;
    }
    expect(fp(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(fp(a)).toBe(fp(b));
  });

  it.each([
    ['another table', 'SELECT a FROM t', 'SELECT a FROM u'],
    ['another column', 'SELECT a FROM t', 'SELECT b FROM t'],
    ['another operator', 'SELECT a FROM t WHERE id = 1', 'SELECT a FROM t WHERE id > 1'],
    ['another function', 'SELECT lower(a) FROM t', 'SELECT upper(a) FROM t'],
    ['a column set by an UPDATE', 'UPDATE t SET a = 1 WHERE id = 2', 'UPDATE t SET b = 1 WHERE id = 2'],
    ['a parameter in place of a constant', 'SELECT a FROM t WHERE id = $1', 'SELECT a FROM t WHERE id = 1'],
    ['a list with a column in it', 'SELECT a FROM t WHERE id IN (1, 2)', 'SELECT a FROM t WHERE id IN (1, b)'],
  ])('tells apart statements that differ in %s', (_what, a, b) => {
    expect(fp(a)).not.toBe(fp(b));
  });

  it('gives an accepted statement the fingerprint of its text, and none to text that does not parse', () => {
    const sql = 'SELECT a FROM t WHERE id = 7';
    expect(policy.checkReadOnlyStatement(sql, 'query').fingerprint).toBe(fp(sql));
    expect(policy.checkWriteStatement('DELETE FROM t WHERE id = 7', 'execute', { prefix: 'ai_', allowUnbounded: false }).fingerprint).toBe(fp('DELETE FROM t WHERE id = 8'));
    expect(fp('SELEC a FROM')).toBeUndefined();
  });

  it('keeps no constant readable: the fingerprint of a secret literal is the one of any other literal', () => {
    const secret = "SELECT a FROM t WHERE token = 'sk_live_7f3a9c2e'";
    expect(fp(secret)).toBe(fp("SELECT a FROM t WHERE token = 'x'"));
    expect(fp(secret)).not.toContain('7f3a9c2e');
  });

  // Found by an attacker: these values are not constant nodes, so they went into the hash, and a
  // role's password was recovered from its audited fingerprint by hashing a wordlist.
  it.each([
    ['a role’s password', "CREATE ROLE r PASSWORD 'Summer2026!'", "CREATE ROLE r PASSWORD 'x'"],
    ['a changed password', "ALTER USER r WITH PASSWORD 'Summer2026!'", "ALTER USER r WITH PASSWORD 'x'"],
    ['a comment’s text', "COMMENT ON TABLE t IS 'internal: db pass hunter2'", "COMMENT ON TABLE t IS 'x'"],
    ['a notification payload', "NOTIFY ch, 'card 4111111111111111'", "NOTIFY ch, 'x'"],
    ['a COPY file name', "COPY t TO '/tmp/secret-export.csv'", "COPY t TO '/tmp/x'"],
    ['a DO body', "DO $$ BEGIN PERFORM 'sk_live_7f3a9c2e'; END $$", 'DO $$ BEGIN END $$'],
    ['a storage option', 'CREATE TABLE t2 (a int) WITH (fillfactor = 70)', 'CREATE TABLE t2 (a int) WITH (fillfactor = 80)'],
  ])('keeps no literal readable outside constant nodes either: %s', (_what, secret, other) => {
    expect(fp(secret)).toBeDefined();
    expect(fp(secret)).toBe(fp(other));
  });

  it.each([
    ['the role', "CREATE ROLE r PASSWORD 'x'", "CREATE ROLE s PASSWORD 'x'"],
    ['the option', "CREATE ROLE r PASSWORD 'x'", "CREATE ROLE r CONNECTION LIMIT 1"],
    ['the commented table', "COMMENT ON TABLE t IS 'x'", "COMMENT ON TABLE u IS 'x'"],
    ['the channel', "NOTIFY ch, 'x'", "NOTIFY other, 'x'"],
    ['the copied table', "COPY t TO '/tmp/x'", "COPY u TO '/tmp/x'"],
  ])('still tells apart statements with such values that differ in %s', (_what, a, b) => {
    expect(fp(a)).not.toBe(fp(b));
  });
});
