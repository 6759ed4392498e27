/**
 * Column security by effect on a real MariaDB (issue 17): the MySQL attack corpus of
 * test/corpus/column-security-mysql.ts never gets a planted value — nor the hash mask's key —
 * out and never gets a yes/no question about one answered; the benign corpus runs for the
 * restricted role and answers exactly what the masked model says. Same judgement as
 * test/authorize/column-security.test.ts, through the whole MCP pipeline (query tool) as role
 * `analyst`; expected answers come from the unrestricted `admin` role reading
 * model.employees. Cases in KNOWN_LEAKS / KNOWN_FALSE_POSITIVES run as `it.fails`.
 * Runs when MariaDB answers (BASTION_REQUIRE_MARIADB=1 makes it mandatory).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskedRelationSql } from '../../src/engines/mysql/mask-sql.js';
import { maskHashKey } from '../../src/shape/mask.js';
import { analystRole, attacks, benign, KNOWN_FALSE_POSITIVES, KNOWN_LEAKS, type AttackCase, type BenignCase, type Param } from '../corpus/column-security-mysql.js';
import { openSession, startBastion, type TestBastion } from '../helpers/bastion.js';
import { answerOf, describeCorpus, leaksIn, textOf, type Needle } from '../helpers/leaks.js';
import { mariadb, MYSQL_ADMIN_URL } from '../helpers/mariadb.js';
import { withDatabase } from '../helpers/url.js';

const FIXTURE = readFileSync(new URL('../fixtures/column-security/schema-mysql.sql', import.meta.url), 'utf8');
const DATABASES = ['hr', 'pub', 'reports', 'model'] as const;
const PREFIX = `bcs_${randomBytes(4).toString('hex')}`;
const db = (name: string): string => `${PREFIX}_${name}`;

/** The corpus's database names (bare or in backquotes) with this run's prefix. */
function localize(sql: string): string {
  return sql.replace(/\b(hr|pub|reports|model)(\s*)\.(?=\s*[`A-Za-z_])/g, (_m, name: string, space: string) => `${db(name)}${space}.`).replace(/`(hr|pub|reports|model)`\./g, (_m, name: string) => `\`${db(name)}\`.`);
}

/** The hash mask's padded keys as the statement would bind them: never in an answer. */
function keyNeedles(): Needle[] {
  const block = Buffer.alloc(64);
  Buffer.from(maskHashKey()).copy(block);
  return [0x5c, 0x36].map((pad) => ({ label: `hash key pad ${pad.toString(16)}`, text: Buffer.from(block.map((b) => b ^ pad)).toString('hex').slice(0, 32) }));
}

interface Session {
  call(sql: string, params?: Param[]): Promise<CallToolResult>;
}

describe.runIf(mariadb.ok)('MariaDB: column security by effect (role analyst)', () => {
  let bastion: TestBastion;
  let admin: Session & { close(): Promise<void> };
  let analyst: Session;
  const extra = keyNeedles();

  beforeAll(async () => {
    const root = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, multipleStatements: true });
    try {
      for (const name of DATABASES) await root.query(`CREATE DATABASE \`${db(name)}\``);
      await root.query(localize(FIXTURE));
    } finally {
      await root.end();
    }
    const source = { engine: 'mysql', url: withDatabase(MYSQL_ADMIN_URL, db('hr')), schemas: DATABASES.map(db), pool: { max: 2 } };
    bastion = await startBastion({ sources: { hr: source }, roles: { analyst: analystRole(db) } }, { id: 'analyst-colsec-mysql', kind: 'local', role: 'analyst', scopes: [] });
    analyst = { call: (sql, params) => bastion.call('query', params === undefined ? { sql: localize(sql) } : { sql: localize(sql), params }) };
    const session = await openSession(bastion.ctx, { id: 'admin-colsec-mysql', kind: 'local', role: 'admin', scopes: [] });
    admin = {
      call: (sql, params) => session.call('query', params === undefined ? { sql: localize(sql) } : { sql: localize(sql), params }),
      close: () => session.close(),
    };
  });

  afterAll(async () => {
    await admin?.close();
    await bastion?.close();
    const root = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    for (const name of DATABASES) await root.query(`DROP DATABASE IF EXISTS \`${db(name)}\``);
    await root.end();
  });

  async function checkAttack(c: AttackCase): Promise<void> {
    const first = await analyst.call(c.sql, c.params);
    const leaked = leaksIn(first, c.sql, c.params, extra);
    if (c.twin === undefined) {
      expect(leaked, `planted values in the answer: ${textOf(first).slice(0, 300)}`).toEqual([]);
      return;
    }
    const second = await analyst.call(c.twin, c.twinParams ?? c.params);
    leaked.push(...leaksIn(second, c.twin, c.twinParams ?? c.params, extra));
    expect(leaked, 'planted values in the answers').toEqual([]);
    expect(answerOf(second), 'the two halves of a yes/no question were answered differently').toEqual(answerOf(first));
  }

  async function checkBenign(c: BenignCase): Promise<void> {
    const result = await analyst.call(c.sql, c.params);
    expect(result.isError === true ? textOf(result) : 'answered').toBe('answered');
    expect(leaksIn(result, c.sql, c.params, extra)).toEqual([]);
    if (c.expect === 'model') {
      const model = await admin.call(c.modelSql ?? c.sql.replace(/\bhr\.employees\b/g, 'model.employees').replace(/(FROM|JOIN) employees\b/g, '$1 model.employees'), c.params);
      expect(model.isError === true ? `the model statement failed: ${textOf(model)}` : 'answered').toBe('answered');
      expect(answerOf(result)).toEqual(answerOf(model));
    }
  }

  describeCorpus({ attacks, benign, knownLeak: (id) => KNOWN_LEAKS.has(id), knownFalsePositive: (id) => KNOWN_FALSE_POSITIVES.has(id), checkAttack, checkBenign });

  it('the hash mask answers the same through a derived table as directly (one key, no second masking)', async () => {
    const direct = await analyst.call('SELECT phone FROM hr.contacts WHERE id = 3');
    const derived = await analyst.call('SELECT p FROM (SELECT phone AS p, id FROM hr.contacts) s WHERE id = 3');
    const renamedLikeTable = await analyst.call('SELECT phone FROM (SELECT phone, id FROM hr.contacts) AS contacts WHERE id = 3');
    const rows = answerOf(direct) as { rows: unknown[][] };
    expect(rows.rows[0]?.[0]).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(answerOf(derived)).toEqual(rows);
    expect(answerOf(renamedLikeTable)).toEqual(rows);
  });

  it('the masks computed in SQL give exactly what src/shape/mask.ts gives: keyed HMAC-SHA-256, partial', async () => {
    const phone = answerOf(await analyst.call('SELECT phone FROM hr.contacts WHERE id = 3')) as { rows: unknown[][] };
    const expected = `hmac:${createHmac('sha256', maskHashKey()).update(`${db('hr')}.contacts.phone\0+1-555-0142-9876`).digest('hex').slice(0, 16)}`;
    expect(phone.rows).toEqual([[expected]]);
    const email = answerOf(await analyst.call('SELECT email FROM hr.employees ORDER BY id')) as { rows: unknown[][] };
    expect(email.rows).toEqual([['a***@corp.example'], ['b***@corp.example'], ['z***@corp.example'], ['z***@corp.example'], [null]]);
  });

  it('the partial mask in SQL treats short text, a leading @, non-ASCII and numbers as mask.ts does', async () => {
    const values = ['a', '', 'Zed', 'x@y', '@x', 'ab@c', 'é@x', '987654'];
    const expected = ['***', '***', 'Z***', 'x***@y', '@***', 'a***@c', 'é***@x', '9***'];
    const root = await mysql.createConnection({ uri: withDatabase(MYSQL_ADMIN_URL, db('model')) });
    try {
      await root.query('CREATE TABLE texts (n INT PRIMARY KEY, v VARCHAR(20), i INT)');
      await root.query('INSERT INTO texts VALUES ?', [values.map((v, n) => [n, v, n === 7 ? 987654 : null])]);
      const masked = maskedRelationSql({ schema: db('model'), name: 'texts', columns: [{ name: 'n', treatment: 'keep' }, { name: 'v', treatment: 'partial' }, { name: 'i', treatment: 'partial' }] });
      const [rows] = await root.query<mysql.RowDataPacket[]>(`SELECT v, i FROM (${masked?.subquery ?? ''}) AS t ORDER BY n`);
      expect(rows.map((r) => r['v'] as unknown)).toEqual(expected);
      expect(rows[7]?.['i']).toBe('9***');
    } finally {
      await root.end();
    }
  });

  it('the corpus holds over 100 attacks and over 100 benign cases, with unique ids', () => {
    expect(attacks.length).toBeGreaterThan(100);
    expect(benign.length).toBeGreaterThan(100);
    const ids = [...attacks, ...benign].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...KNOWN_LEAKS].filter((id) => !attacks.some((c) => c.id === id))).toEqual([]);
    expect([...KNOWN_FALSE_POSITIVES].filter((id) => !benign.some((c) => c.id === id))).toEqual([]);
  });
});
