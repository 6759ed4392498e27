/**
 * The read policy's verdict by statement shape: a text with constants and no parameter of
 * its own is answered from the verdict of its shape (each constant replaced by $n) once a
 * text of that shape was checked in full and its parameterised twin gave the same verdict.
 * The attack: make the shortcut accept something the full check refuses, or read other
 * relations or columns than the full check finds. Checked differentially: every statement
 * in this repository's tests, and variants of it with other constants, through a warm policy
 * and through a fresh one (full check) must get the same verdict, reads and fingerprint.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqlPolicy } from '../../../src/engines/postgres-family/policy/policy.js';
import { isFaithful, shapeOf } from '../../../src/engines/postgres-family/policy/shape.js';
import type { CheckedStatement } from '../../../src/engine/policy.js';
import { BastionError } from '../../../src/errors/codes.js';

let warm: SqlPolicy;
beforeAll(async () => {
  warm = await SqlPolicy.create();
});

type Outcome = { ok: true; reads: string; fingerprint: string | undefined; tool: string } | { ok: false; code: string };

function outcome(policy: SqlPolicy, sql: string, tool: 'query' | 'explain' = 'query'): Outcome {
  try {
    const c: CheckedStatement = policy.checkReadOnlyStatement(sql, tool);
    expect(c.sql).toBe(sql);
    const reads = JSON.stringify([c.relations, c.functions, c.columnRefs, [...c.directColumnRefs], c.hasSetOperation, c.usingColumns, c.hasNaturalJoin, c.paramCount]);
    return { ok: true, reads, fingerprint: c.fingerprint, tool: c.tool };
  } catch (error) {
    if (error instanceof BastionError) return { ok: false, code: error.code };
    throw error;
  }
}

/** The full check: a policy that has never seen the shape. */
const full = (sql: string, tool: 'query' | 'explain' = 'query'): Outcome => outcome(new SqlPolicy(), sql, tool);

/** SQL-looking string literals in the repository's tests (attack corpora included). */
function corpus(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(__dirname, '../..'));
  const out = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(['"`])((?:SELECT|WITH|EXPLAIN|VALUES|TABLE)\b[^'"`$]*)\1/gi)) out.add(m[2] as string);
  }
  return [...out];
}

/** The shape with its $n replaced by other constants, of several kinds. */
function variants(shape: string): string[] {
  // `-'zz'`, `-true` and `- -1` are an operator and a constant the normaliser takes as one constant.
  return ['0', '-7', "'zz'", '2.5', 'NULL', 'true', "-'zz'", '-true', '- -1', '- - - 1'].map((c) => shape.replace(/\$\d+/g, c));
}

describe('read policy: verdicts by shape', () => {
  it('answers a text of a known shape with its own text, no parameters and the same reads as a full check', () => {
    const first = 'SELECT abalance FROM pgbench_accounts WHERE aid = 1';
    const next = 'SELECT abalance FROM pgbench_accounts WHERE aid = 987654';
    expect(outcome(warm, first)).toEqual(full(first));
    const hit = warm.checkReadOnlyStatement(next, 'query');
    expect(hit.sql).toBe(next);
    expect(hit.paramCount).toBe(0);
    expect(outcome(warm, next)).toEqual(full(next));
  });

  it('never takes a text with a parameter or a dollar sign by its shape', () => {
    const policy = new SqlPolicy();
    outcome(policy, 'SELECT a FROM t WHERE id = 1');
    // Same shape as the warm one once normalised, but it has a parameter: its own count.
    expect(policy.checkReadOnlyStatement('SELECT a FROM t WHERE id = $1', 'query').paramCount).toBe(1);
    expect(outcome(policy, "SELECT a FROM t WHERE id = $$1$$")).toEqual(full("SELECT a FROM t WHERE id = $$1$$"));
  });

  it('a refused text of a shape leaves every other text of it to the full check', () => {
    const policy = new SqlPolicy();
    expect(outcome(policy, "SELECT pg_read_file('/etc/passwd')")).toMatchObject({ ok: false });
    expect(outcome(policy, "SELECT pg_read_file('/etc/shadow')")).toEqual(full("SELECT pg_read_file('/etc/shadow')"));
    expect(outcome(policy, "SELECT pg_read_file('/etc/shadow')")).toMatchObject({ ok: false });
  });

  it('a minus sign before a non-number makes no shape: the later text keeps its own fingerprint (found by an attacker)', () => {
    // The normaliser takes `-'a'` as one constant, so `SELECT -'a'` and `SELECT 'a'` share a
    // normalised text while their trees differ (a unary minus); the audit of the second got the
    // first one's fingerprint.
    for (const [first, second] of [
      ["SELECT -'a' AS c, id FROM pub WHERE id = 1", "SELECT 'a' AS c, id FROM pub WHERE id = 1"],
      ["SELECT 'a' AS c, id FROM pub WHERE id = 1", "SELECT -'a' AS c, id FROM pub WHERE id = 1"],
      ['SELECT -true FROM pub', 'SELECT false FROM pub'],
      ['SELECT 1 FROM pub', 'SELECT - - - 1 FROM pub'],
      ['SELECT 1 FROM pub', 'SELECT - -1 FROM pub'],
    ] as const) {
      const policy = new SqlPolicy();
      outcome(policy, first);
      expect(outcome(policy, second), second).toEqual(full(second));
    }
    expect(shapeOf("SELECT -'a'")).toBeUndefined();
    expect(shapeOf('SELECT - -1')).toBeUndefined();
    expect(shapeOf('SELECT -5, - 6, 7 -8')).toBe(normalizeSync('SELECT -5, - 6, 7 -8'));
  });

  it('a shape is faithful only when each $n stands for one plain constant token', () => {
    expect(isFaithful("SELECT a FROM t WHERE b = 'it''s' AND c = 2.5e3 AND d IS NULL", "SELECT a FROM t WHERE b = $1 AND c = $2 AND d IS $3")).toBe(true);
    expect(isFaithful("SELECT E'a\\'b'", 'SELECT $1')).toBe(false);
    expect(isFaithful('SELECT 12abc', 'SELECT $1')).toBe(false);
    expect(isFaithful('SELECT 1, 2', 'SELECT $1')).toBe(false);
    expect(isFaithful('SELECT 1', 'SELECT 1')).toBe(false);
    // The normaliser answers some parse errors with their message, not a throw.
    expect(shapeOf("SELECT 'abc")).toBeUndefined();
  });

  it('agrees with the full check on every statement of the test corpus and on variants with other constants', () => {
    const statements = corpus();
    expect(statements.length).toBeGreaterThan(500);
    let compared = 0;
    let shortcut = 0;
    const policy = new SqlPolicy({ cacheSize: 100_000 });
    for (const sql of statements) {
      for (const tool of ['query', 'explain'] as const) {
        expect(outcome(policy, sql, tool), sql).toEqual(full(sql, tool));
        let shape: string;
        try {
          shape = normalizeSync(sql);
        } catch {
          continue;
        }
        if (shape === sql) continue;
        for (const variant of variants(shape)) {
          let same: boolean;
          try {
            same = normalizeSync(variant) === shape;
          } catch {
            same = false;
          }
          const expected = full(variant, tool);
          expect(outcome(policy, variant, tool), `${variant} (shape of ${sql})`).toEqual(expected);
          compared++;
          if (same && expected.ok) shortcut++;
        }
      }
    }
    // The comparison is not vacuous: many variants went through the shortcut.
    expect(compared).toBeGreaterThan(1000);
    expect(shortcut).toBeGreaterThan(200);
  });
});
