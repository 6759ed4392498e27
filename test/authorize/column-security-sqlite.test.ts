/**
 * Column security by effect on SQLite (issue 17): the attack corpus of
 * test/corpus/column-security-sqlite.ts never gets a planted value out and never gets a
 * yes/no question about one answered; the benign corpus runs for the restricted role and
 * answers exactly what the masked model says. Same method as the PostgreSQL runner
 * (column-security.test.ts): every case through the whole MCP pipeline (query tool) as
 * role `analyst`, benign expectations from the unrestricted `admin` reading
 * model_employees; KNOWN_LEAKS / KNOWN_FALSE_POSITIVES run as `it.fails`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Param } from '../corpus/column-security.js';
import {
  ANALYST_ROLE_SQLITE,
  SQLITE_KNOWN_FALSE_POSITIVES,
  SQLITE_KNOWN_LEAKS,
  sqliteAttacks,
  sqliteBenign,
  type SqliteAttackCase,
  type SqliteBenignCase,
} from '../corpus/column-security-sqlite.js';
import { openSession, startBastion, type TestBastion } from '../helpers/bastion.js';
import { answerOf, describeCorpus, leaksIn, textOf } from '../helpers/leaks.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const FIXTURE = readFileSync(new URL('../fixtures/column-security/schema-sqlite.sql', import.meta.url), 'utf8');

type Call = (sql: string, params?: Param[]) => Promise<CallToolResult>;

describe('SQLite: column security by effect (role analyst)', () => {
  let dir: string;
  let bastion: TestBastion;
  let analyst: Call;
  let admin: Call;
  let closeAdmin: () => Promise<void>;

  beforeAll(async () => {
    ensureWorkerBuilt();
    dir = mkdtempSync(join(tmpdir(), 'bastion-colsec-sqlite-'));
    const path = join(dir, 'hr.db');
    const db = new Database(path);
    db.exec(FIXTURE);
    db.close();
    bastion = await startBastion(
      { sources: { hr: { engine: 'sqlite', path } }, roles: { analyst: ANALYST_ROLE_SQLITE } },
      { id: 'analyst-colsec-sqlite', kind: 'local', role: 'analyst', scopes: [] },
    );
    analyst = (sql, params) => bastion.call('query', params === undefined ? { sql } : { sql, params });
    const session = await openSession(bastion.ctx, { id: 'admin-colsec-sqlite', kind: 'local', role: 'admin', scopes: [] });
    admin = (sql, params) => session.call('query', params === undefined ? { sql } : { sql, params });
    closeAdmin = () => session.close();
  }, 60_000);

  afterAll(async () => {
    await closeAdmin?.();
    await bastion?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function checkAttack(c: SqliteAttackCase): Promise<void> {
    const first = await analyst(c.sql, c.params);
    const leaked = leaksIn(first, c.sql, c.params);
    if (c.twin === undefined) {
      expect(leaked, `planted values in the answer: ${textOf(first).slice(0, 300)}`).toEqual([]);
      return;
    }
    const second = await analyst(c.twin, c.twinParams ?? c.params);
    leaked.push(...leaksIn(second, c.twin, c.twinParams ?? c.params));
    expect(leaked, 'planted values in the answers').toEqual([]);
    // The pair asks a yes/no question about a protected value: the same answer twice tells nothing.
    expect(answerOf(second), 'the two halves of a yes/no question were answered differently').toEqual(answerOf(first));
  }

  async function checkBenign(c: SqliteBenignCase): Promise<void> {
    const result = await analyst(c.sql, c.params);
    expect(result.isError === true ? textOf(result) : 'answered').toBe('answered');
    expect(leaksIn(result, c.sql, c.params)).toEqual([]);
    if (c.expect === 'model') {
      const modelSql = c.modelSql ?? c.sql.replace(/\bemployees\b(?!_)/gi, 'model_employees');
      const model = await admin(modelSql, c.params);
      expect(model.isError === true ? `the model statement failed: ${textOf(model)}` : 'answered').toBe('answered');
      expect(answerOf(result)).toEqual(answerOf(model));
    }
  }

  describeCorpus({
    attacks: sqliteAttacks,
    benign: sqliteBenign,
    knownLeak: (id) => SQLITE_KNOWN_LEAKS.has(id),
    knownFalsePositive: (id) => SQLITE_KNOWN_FALSE_POSITIVES.has(id),
    checkAttack,
    checkBenign,
  });

  it('the unrestricted role still reads the real table on the same source (no shadow leaks across roles)', async () => {
    await analyst('SELECT email FROM employees WHERE id = 3');
    const real = await admin('SELECT email, ssn FROM employees WHERE id = 3');
    expect(answerOf(real)).toEqual({ rows: [['zed.kowalczyk@corp.example', '372-81-5096']] });
    const masked = await analyst('SELECT email FROM employees WHERE id = 3');
    expect(answerOf(masked)).toEqual({ rows: [['z***@corp.example']] });
  });

  it('the corpus has at least 150 attacks and as many benign cases, with unique ids, and every known id names a case', () => {
    expect(sqliteAttacks.length).toBeGreaterThanOrEqual(150);
    expect(sqliteBenign.length).toBeGreaterThanOrEqual(sqliteAttacks.length);
    const ids = [...sqliteAttacks, ...sqliteBenign].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...SQLITE_KNOWN_LEAKS].filter((id) => !sqliteAttacks.some((c) => c.id === id))).toEqual([]);
    expect([...SQLITE_KNOWN_FALSE_POSITIVES].filter((id) => !sqliteBenign.some((c) => c.id === id))).toEqual([]);
  });
});
