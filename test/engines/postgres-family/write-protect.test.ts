/**
 * ReadGuard.protectWrite on the parse tree, without a database: what a write reads is
 * replaced like a read's, its target never is; the target is qualified; RETURNING and the
 * dry run's statements of a target with protected columns compute masks and leave denied
 * columns out; what sets, reads or returns a protected target column is refused. The
 * effect on real databases is in test/authorize/write-construction.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSync } from 'libpg-query';
import type { CheckedDml } from '../../../src/engine/policy.js';
import type { ProtectedColumn, WriteProtection } from '../../../src/engine/protection.js';
import { BastionError } from '../../../src/errors/codes.js';
import { SqlPolicy } from '../../../src/engines/postgres-family/policy/policy.js';

const EMPLOYEES: ProtectedColumn[] = [
  { name: 'id', treatment: 'keep' },
  { name: 'name', treatment: 'keep' },
  { name: 'email', treatment: 'partial' },
  { name: 'title', treatment: 'hash' },
  { name: 'ssn', treatment: 'deny' },
];
const PROTECTED = { schema: 'hr', name: 'employees', columns: EMPLOYEES };
const KEY = new Uint8Array(32);

type Node = Record<string, unknown>;

function statementOf(sql: string): [string, Node] {
  const stmt = (parseSync(sql) as { stmts: { stmt: Node }[] }).stmts[0]?.stmt ?? {};
  const [type, body] = Object.entries(stmt)[0] ?? ['', {}];
  return [type, body as Node];
}

/** Every relation named in the tree, as schema.name, in order. */
function relations(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) relations(item, out);
  else if (node !== null && typeof node === 'object') {
    const range = (node as Node)['RangeVar'] as Node | undefined;
    if (range !== undefined) out.push(`${String(range['schemaname'])}.${String(range['relname'])}`);
    for (const child of Object.values(node as Node)) relations(child, out);
  }
  return out;
}

describe('protectWrite', () => {
  let policy: SqlPolicy;
  beforeAll(async () => {
    policy = await SqlPolicy.create();
  });

  const check = (sql: string): CheckedDml => {
    const checked = policy.checkWriteStatement(sql, 'execute', { prefix: 'ai_', allowUnbounded: false });
    if (checked.tool !== 'execute') throw new Error('expected DML');
    return checked;
  };
  const protect = (sql: string, target: WriteProtection['target']) =>
    policy.protectWrite(check(sql), { resolved: new Map([['notes', 'public']]), relations: [PROTECTED], target }, KEY);
  const refusal = (sql: string, target: WriteProtection['target'] = PROTECTED): string => {
    try {
      protect(sql, target);
      return 'ALLOWED';
    } catch (error) {
      if (error instanceof BastionError) return error.code;
      throw error;
    }
  };

  it.each([
    'UPDATE notes SET body = (SELECT d FROM hr.employees AS e(a, b, c, d) LIMIT 1) WHERE id = 1',
    'INSERT INTO notes (id, body) SELECT id, e.to_jsonb::text FROM hr.employees e',
    'DELETE FROM notes n USING hr.employees e WHERE n.id = e.id AND e.email LIKE $1',
    'WITH c(a, b) AS (SELECT id, email FROM hr.employees) UPDATE notes SET body = (SELECT b FROM c WHERE a = 3) WHERE id = 1',
  ])('what the write reads is replaced, its target kept and qualified: %s', (sql) => {
    const rebuilt = protect(sql, { schema: 'public', name: 'notes' });
    const [, node] = statementOf(rebuilt.sql);
    expect(node['relation']).toMatchObject({ schemaname: 'public', relname: 'notes' });
    // hr.employees is read only inside its replacement, which has no ssn
    expect(relations(node).filter((r) => r === 'hr.employees').length).toBeGreaterThan(0);
    expect(rebuilt.sql).not.toMatch(/\bssn\b/);
    expect(rebuilt.sql).toMatch(/AS email/);
    expect(rebuilt.sampleSql).not.toMatch(/\bssn\b/);
  });

  it('the target with protected columns is kept; RETURNING * becomes its columns with masks, the denied one left out', () => {
    const rebuilt = protect("UPDATE hr.employees e SET name = 'x' WHERE id = $1 RETURNING *", PROTECTED);
    const [, node] = statementOf(rebuilt.sql);
    expect(node['relation']).toMatchObject({ schemaname: 'hr', relname: 'employees' });
    const names = ((node['returningClause'] as Node)['exprs'] as { ResTarget: Node }[]).map((r) => r.ResTarget['name'] ?? 'kept');
    expect(names).toEqual(['kept', 'kept', 'email', 'title']);
    expect(rebuilt.sql).not.toMatch(/\bssn\b/);
    // the hash key follows the statement's own parameter
    expect(rebuilt.sql).toMatch(/\$2/);
    expect(rebuilt.params).toHaveLength(2);
  });

  it('the dry run of an UPDATE reads its rows through the replacement, with the key after its own parameters', () => {
    const rebuilt = protect("UPDATE hr.employees SET name = 'x' WHERE id = $1", PROTECTED);
    expect(rebuilt.sql).toBe("UPDATE hr.employees SET name = 'x' WHERE id = $1");
    expect(rebuilt.params).toEqual([]);
    expect(rebuilt.before?.sql).toMatch(/FROM\s+\(SELECT id, name, CASE/);
    expect(rebuilt.before?.sql).not.toMatch(/\bssn\b/);
    expect(rebuilt.before?.paramIndexes).toEqual([0]);
    expect(rebuilt.before?.extraParams).toHaveLength(2);
    expect(rebuilt.sampleSql).not.toMatch(/\bssn\b/);
    expect(rebuilt.sampleParams).toHaveLength(2);
  });

  it.each([
    "UPDATE hr.employees SET email = 'x' WHERE id = 1",
    "UPDATE hr.employees SET (name, ssn) = ('x', 'y') WHERE id = 1",
    "INSERT INTO hr.employees VALUES (1, 'a', 'b')",
    'INSERT INTO hr.employees SELECT * FROM hr.employees',
    "INSERT INTO hr.employees (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded.ssn",
    "INSERT INTO hr.employees (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded::text",
    "UPDATE hr.employees SET name = 'x' WHERE id = 1 AND lower(email) = 'a'",
    "UPDATE hr.employees e SET name = e.row_to_json::text WHERE id = 1",
    "UPDATE hr.employees SET name = to_jsonb(employees)::text WHERE id = 1",
    "DELETE FROM hr.employees WHERE id = 1 RETURNING ssn",
    "DELETE FROM hr.employees WHERE id = 1 RETURNING e.email",
    "DELETE FROM hr.employees WHERE id = 1 RETURNING upper(title)",
    "MERGE INTO hr.employees t USING notes s ON t.id = s.id WHEN MATCHED THEN DELETE",
  ])('sets, reads or returns a protected column of the target: refused (%s)', (sql) => {
    expect(refusal(sql)).toBe('DENIED_BY_POLICY');
  });

  it('an INSERT without a column list that stops before the protected columns is allowed', () => {
    expect(refusal("INSERT INTO hr.employees VALUES (1, 'a')")).toBe('ALLOWED');
    expect(refusal('INSERT INTO hr.employees DEFAULT VALUES')).toBe('ALLOWED');
    expect(refusal("UPDATE hr.employees e SET name = 'x' WHERE e.id = 1 AND e.xmin IS NOT NULL")).toBe('ALLOWED');
    expect(refusal("INSERT INTO hr.employees (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded.name")).toBe('ALLOWED');
  });
});
