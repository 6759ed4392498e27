/**
 * Rules follow rows through table inheritance and partitions (src/authorize/family.ts).
 * Attacks an independent attacker found against construction by table name: a partition
 * or inheritance child of a table with rules read directly, an inheritance parent that
 * returns its child's denied column, a partitioned parent that returns the rows of a
 * denied partition, and views over each. Every attack is judged by effect: the planted
 * values never appear in any answer or error. On PGlite always, on PostgreSQL when one answers.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const SSN = '731-44-9025';
const EMAIL = 'zed.marker@corp.example';
const CHILD_SECRET = 'child-secret-5519';
const LEDGER_SECRET = 4242427;

const FAMILY = [
  'CREATE SCHEMA fam',
  // Rules on a partitioned parent: its partitions hold the same rows.
  'CREATE TABLE fam.people (id int, name text, email text, ssn text, region text) PARTITION BY LIST (region)',
  "CREATE TABLE fam.people_eu PARTITION OF fam.people FOR VALUES IN ('eu')",
  "CREATE TABLE fam.people_us PARTITION OF fam.people FOR VALUES IN ('us')",
  `INSERT INTO fam.people VALUES (1, 'Zed', '${EMAIL}', '${SSN}', 'eu'), (2, 'Amy', 'amy@corp.example', '000-00-0000', 'us')`,
  // A rule on an inheritance child: its parent returns the child's rows.
  'CREATE TABLE fam.base (id int, note text, secret text)',
  'CREATE TABLE fam.child (extra text) INHERITS (fam.base)',
  "INSERT INTO fam.base VALUES (1, 'parent row', 'nothing')",
  `INSERT INTO fam.child VALUES (2, 'child row', '${CHILD_SECRET}', 'x')`,
  // A denied partition: its parent returns its rows.
  'CREATE TABLE fam.ledger (id int, kind text, amount int) PARTITION BY LIST (kind)',
  "CREATE TABLE fam.ledger_public PARTITION OF fam.ledger FOR VALUES IN ('public')",
  "CREATE TABLE fam.ledger_secret PARTITION OF fam.ledger FOR VALUES IN ('secret')",
  `INSERT INTO fam.ledger VALUES (1, 'public', 10), (2, 'secret', ${LEDGER_SECRET})`,
  // A child of two parents: one with rules, one without (attacker's case); and of a denied table.
  'CREATE TABLE fam.staff (id int, email text, ssn text)',
  'CREATE TABLE public.contacts (email text, ssn text)',
  'CREATE TABLE fam.staff_ext () INHERITS (fam.staff, public.contacts)',
  `INSERT INTO fam.staff_ext (id, email, ssn) VALUES (9, '${EMAIL}', '${SSN}')`,
  'CREATE TABLE fam.vault (id int, token text)',
  'CREATE TABLE public.tokens (token text)',
  'CREATE TABLE fam.vault_child () INHERITS (fam.vault, public.tokens)',
  `INSERT INTO fam.vault_child VALUES (1, 'vault-${LEDGER_SECRET}')`,
  // Partitioned by a masked column: which partition a row is in tells its range.
  'CREATE TABLE fam.pay (id int, salary int) PARTITION BY RANGE (salary)',
  'CREATE TABLE fam.pay_low PARTITION OF fam.pay FOR VALUES FROM (0) TO (100000)',
  'CREATE TABLE fam.pay_high PARTITION OF fam.pay FOR VALUES FROM (100000) TO (MAXVALUE)',
  'INSERT INTO fam.pay VALUES (1, 987654), (2, 50000)',
  // Foreign keys into a denied table and onto a masked column (writes would answer yes/no about them).
  'CREATE TABLE fam.vault_keys (token text PRIMARY KEY)',
  `INSERT INTO fam.vault_keys VALUES ('vault-${LEDGER_SECRET}')`,
  'CREATE TABLE public.notes (id int, ref text REFERENCES fam.vault_keys (token))',
  'CREATE TABLE public.teams (name text PRIMARY KEY)',
  "INSERT INTO public.teams VALUES ('red'), ('blue')",
  'CREATE TABLE fam.vault_rows (id int, team text REFERENCES public.teams (name) ON DELETE CASCADE)',
  "INSERT INTO fam.vault_rows VALUES (1, 'red'), (2, 'red')",
  'CREATE VIEW fam.v_named_people AS SELECT id, name, email FROM fam.people',
  // Views over each.
  'CREATE VIEW fam.v_people_eu AS SELECT id, ssn FROM fam.people_eu',
  'CREATE VIEW fam.v_people_email AS SELECT id, email FROM fam.people_us',
  'CREATE VIEW fam.v_base AS SELECT id, secret FROM fam.base',
  'CREATE VIEW fam.v_ledger AS SELECT sum(amount) AS total FROM fam.ledger',
  'CREATE VIEW fam.v_names AS SELECT id, name FROM fam.people_eu',
];

const ANALYST_RULES = {
  tables: { allow: ['fam.*', 'public.*', 'fam.v_named_people'], deny: ['fam.ledger_secret', 'fam.vault', 'fam.vault_keys', 'fam.vault_rows'] },
  columns: {
    deny: ['fam.people.ssn', 'fam.child.secret', 'fam.staff.ssn'],
    mask: { 'fam.people.email': 'partial', 'fam.pay.salary': 'null', 'fam.staff.email': 'partial' },
  },
};

const ROLES = {
  analyst: { tools: ['query', 'describe_table', 'list_tables'], ...ANALYST_RULES },
  // The analyst's rules with execute: writes through a partition or parent see no more than reads.
  scribe: { tools: ['query', 'execute'], ...ANALYST_RULES, approval: { '*': 'none' } },
  // Names the parent exactly: the configuration's explicit choice of table.
  ledger_reader: { tools: ['query'], tables: { allow: ['fam.ledger'], deny: ['fam.ledger_secret'] } },
};
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const AUDITOR: Principal = { id: 'p:auditor', kind: 'api_key', role: 'ledger_reader', scopes: [] };
const SCRIBE: Principal = { id: 'p:scribe', kind: 'api_key', role: 'scribe', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

function leaks(result: CallToolResult): string | undefined {
  const text = JSON.stringify(result);
  for (const needle of [SSN, SSN.replace(/-/g, ''), EMAIL, 'zed.marker', CHILD_SECRET, String(LEDGER_SECRET), '987654']) if (text.includes(needle)) return needle;
  return undefined;
}

const ATTACKS: readonly string[] = [
  // A partition of a table with rules, read directly.
  'SELECT ssn FROM fam.people_eu',
  'SELECT * FROM fam.people_eu',
  'SELECT to_jsonb(p) FROM fam.people_eu p',
  'SELECT p.to_jsonb FROM fam.people_eu p',
  'SELECT email FROM fam.people_eu',
  'SELECT x FROM (SELECT email AS x FROM fam.people_eu) s',
  "SELECT count(*) FROM fam.people_eu WHERE email = 'zed.marker@corp.example'",
  "SELECT string_agg(email, ',') FROM fam.people_eu",
  'SELECT d FROM fam.people_eu AS p(a, b, c, d)',
  'SELECT * FROM fam.people_eu UNION ALL SELECT * FROM fam.people_us',
  // The inheritance parent of a child with a denied column.
  'SELECT secret FROM fam.base',
  'SELECT * FROM fam.base',
  'SELECT to_jsonb(b) FROM fam.base b',
  'SELECT c FROM fam.base AS b(a, bb, c)',
  'SELECT max(secret) FROM fam.base',
  // The child itself.
  'SELECT * FROM fam.child',
  // The partitioned parent of a denied partition.
  'SELECT * FROM fam.ledger',
  'SELECT sum(amount) FROM fam.ledger',
  'SELECT max(amount) FROM fam.ledger',
  'SELECT * FROM fam.ledger_secret',
  // Through a second parent: the child's rows carry the rules of all its parents.
  'SELECT * FROM public.contacts',
  'SELECT * FROM public.tokens',
  'SELECT count(*) FROM public.tokens',
  // A partition of a table partitioned by a masked column.
  'SELECT id FROM fam.pay_high',
  'SELECT count(*) FROM fam.pay_high',
  'SELECT * FROM fam.pay',
  // Views over each.
  'SELECT * FROM fam.v_people_eu',
  'SELECT * FROM fam.v_people_email',
  'SELECT * FROM fam.v_base',
  'SELECT * FROM fam.v_ledger',
];

/** Yes/no questions: each pair must get the same answer, or the question was answered. */
const TWINS: readonly [string, string][] = [
  ["SELECT count(*) FROM fam.people_eu WHERE email LIKE 'zed.m%'", "SELECT count(*) FROM fam.people_eu WHERE email LIKE 'zqq.q%'"],
  ['SELECT count(*) FROM fam.ledger WHERE amount > 1000000', 'SELECT count(*) FROM fam.ledger WHERE amount > 100000000'],
  ["SELECT count(*) FROM fam.base WHERE secret LIKE 'child%'", "SELECT count(*) FROM fam.base WHERE secret LIKE 'qqqqq%'"],
  ['SELECT count(*) FROM fam.pay_high WHERE id = 1', 'SELECT count(*) FROM fam.pay_high WHERE id = 2'],
  ["SELECT count(*) FROM public.contacts WHERE email LIKE 'zed%'", "SELECT count(*) FROM public.contacts WHERE email LIKE 'qqq%'"],
];

pgFamilySuites('inheritance and partitions', { roles: ROLES }, ANALYST, FAMILY, (env) => {
  it('the planted values are there: an unrestricted role reads them', async () => {
    const admin = await openSession(env().bastion.ctx, ADMIN);
    try {
      expect(rowsOf(await admin.call('query', { sql: 'SELECT ssn FROM fam.people_eu' }))).toEqual([[SSN]]);
      expect(rowsOf(await admin.call('query', { sql: 'SELECT secret FROM fam.base WHERE id = 2' }))).toEqual([[CHILD_SECRET]]);
      expect(rowsOf(await admin.call('query', { sql: 'SELECT sum(amount) FROM fam.ledger' })).map((r) => Number(r[0]))).toEqual([LEDGER_SECRET + 10]);
    } finally {
      await admin.close();
    }
  });

  it.each(ATTACKS)('no planted value comes out of: %s', async (sql) => {
    const result = await env().bastion.call('query', { sql });
    expect(leaks(result), sql).toBeUndefined();
  });

  it.each(TWINS)('a yes/no question gets the same answer either way: %s', async (yes, no) => {
    const a = await env().bastion.call('query', { sql: yes });
    const b = await env().bastion.call('query', { sql: no });
    expect(JSON.stringify(a.structuredContent ?? a.content).replace(/correlation id: [^)]*/g, '')).toBe(JSON.stringify(b.structuredContent ?? b.content).replace(/correlation id: [^)]*/g, ''));
  });

  it('a partition carries its parent\'s rules: the denied column is absent, the masked one masked', async () => {
    const result = await env().bastion.call('query', { sql: 'SELECT * FROM fam.people_eu' });
    expect(errorCode(result)).toBeUndefined();
    const columns = (result.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name);
    expect(columns).toEqual(['id', 'name', 'email', 'region']);
    expect(rowsOf(result)).toEqual([[1, 'Zed', 'z***@corp.example', 'eu']]);
  });

  it('a parent carries its child\'s column rules, and still returns the child\'s rows', async () => {
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT id, note FROM fam.base ORDER BY id' }))).toEqual([
      [1, 'parent row'],
      [2, 'child row'],
    ]);
    expect(errorCode(await env().bastion.call('query', { sql: 'SELECT secret FROM fam.base' }))).toBe('QUERY_FAILED');
  });

  it('a parent with a denied partition is denied like the partition; its allowed partition answers', async () => {
    const parent = await env().bastion.call('query', { sql: 'SELECT sum(amount) FROM fam.ledger' });
    expect(errorCode(parent)).toBe('TABLE_NOT_FOUND');
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT id, amount FROM fam.ledger_public' }))).toEqual([[1, 10]]);
  });

  it('views over a partition or parent follow the same rules; a view over allowed columns answers', async () => {
    for (const view of ['v_people_eu', 'v_people_email', 'v_base', 'v_ledger']) {
      expect(errorCode(await env().bastion.call('query', { sql: `SELECT * FROM fam.${view}` })), view).toBe('TABLE_NOT_FOUND');
    }
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT name FROM fam.v_names' }))).toEqual([['Zed']]);
  });

  it('list_tables and describe_table show what the rules leave: no denied parent, no inherited denied column', async () => {
    const listed = await env().bastion.call('list_tables', { schema: 'fam' });
    const names = (listed.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name);
    // fam.pay is partitioned by a masked column: stored (read) in that column's order, unreadable.
    expect(names).toEqual(['base', 'child', 'people', 'staff', 'staff_ext', 'v_named_people', 'v_names']);
    expect(names).not.toContain('ledger');
    expect(names).not.toContain('ledger_secret');
    const described = await env().bastion.call('describe_table', { table: 'fam.people_eu' });
    const columns = (described.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name);
    expect(columns).toEqual(['id', 'name', 'email', 'region']);
    const parent = await env().bastion.call('describe_table', { table: 'fam.base' });
    expect((parent.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name)).toEqual(['id', 'note']);
    expect(errorCode(await env().bastion.call('describe_table', { table: 'fam.ledger' }))).toBe('TABLE_NOT_FOUND');
  });

  it('a table that shares rows with a ruled table through a second parent carries its rules', async () => {
    const contacts = await env().bastion.call('query', { sql: 'SELECT * FROM public.contacts' });
    expect((contacts.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name)).toEqual(['email']);
    expect(rowsOf(contacts)).toEqual([['z***@corp.example']]);
    expect(errorCode(await env().bastion.call('query', { sql: 'SELECT * FROM public.tokens' }))).toBe('TABLE_NOT_FOUND');
  });

  it('a table partitioned by a masked column is denied, and so are its partitions (rows come partition by partition)', async () => {
    expect(errorCode(await env().bastion.call('query', { sql: 'SELECT id FROM fam.pay_high' }))).toBe('TABLE_NOT_FOUND');
    const whole = await env().bastion.call('query', { sql: 'SELECT string_agg(id::text, \',\') FROM fam.pay' });
    expect(errorCode(whole)).toBe('TABLE_NOT_FOUND');
    expect(JSON.stringify(whole)).not.toContain('987654');
  });

  it('a write through a partition or a parent carries the same rules: no denied column set, read or returned', async () => {
    const scribe = await openSession(env().bastion.ctx, SCRIBE);
    try {
      for (const sql of [
        'UPDATE fam.people_eu SET name = ssn WHERE id = 1',
        'UPDATE fam.base SET note = secret',
        "UPDATE fam.people_eu SET ssn = 'x'",
        'UPDATE fam.ledger SET amount = amount',
        "INSERT INTO fam.ledger VALUES (3, 'public', 1)",
        // The partition a row is in tells the range of a masked key.
        'UPDATE fam.pay p SET id = id WHERE p.tableoid > 0',
        'UPDATE fam.pay SET id = id RETURNING tableoid',
        // A view a rule names is read through the rules; a write through it would reach real values.
        "UPDATE fam.v_named_people SET name = name WHERE email LIKE 'zed%' RETURNING email",
        // Foreign keys to a denied table or from one: success or failure answers yes/no.
        `INSERT INTO public.notes VALUES (1, 'vault-${LEDGER_SECRET}')`,
        "DELETE FROM public.teams WHERE name = 'red'",
      ]) {
        const result = await scribe.call('execute', { sql, dry_run: false });
        expect(result.isError, sql).toBe(true);
        expect(leaks(result), sql).toBeUndefined();
      }
      const returned = await scribe.call('execute', { sql: "UPDATE fam.people_eu SET name = 'Zed' WHERE id = 1 RETURNING *", dry_run: false });
      expect(leaks(returned)).toBeUndefined();
      expect(JSON.stringify(returned)).toContain('z***@corp.example');
    } finally {
      await scribe.close();
    }
    const admin = await openSession(env().bastion.ctx, ADMIN);
    try {
      expect(rowsOf(await admin.call('query', { sql: 'SELECT name, ssn FROM fam.people_eu' }))).toEqual([['Zed', SSN]]);
      expect(rowsOf(await admin.call('query', { sql: 'SELECT count(*) FROM fam.ledger' })).map((r) => Number(r[0]))).toEqual([2]);
      expect(rowsOf(await admin.call('query', { sql: "SELECT count(*) FROM fam.vault_rows WHERE team = 'red'" })).map((r) => Number(r[0]))).toEqual([2]);
      expect(rowsOf(await admin.call('query', { sql: 'SELECT count(*) FROM public.notes' })).map((r) => Number(r[0]))).toEqual([0]);
    } finally {
      await admin.close();
    }
  });

  it('a parent named exactly by a rule is read, with its partitions, as the configuration chose', async () => {
    const auditor = await openSession(env().bastion.ctx, AUDITOR);
    try {
      expect(rowsOf(await auditor.call('query', { sql: 'SELECT count(*) FROM fam.ledger' })).map((r) => Number(r[0]))).toEqual([2]);
      expect(errorCode(await auditor.call('query', { sql: 'SELECT * FROM fam.ledger_secret' }))).toBe('TABLE_NOT_FOUND');
    } finally {
      await auditor.close();
    }
  });
});
