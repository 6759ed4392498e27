import type pg from 'pg';
import { GENESIS_HASH, lineHash, type AuditKey } from './chain.js';
import { parseRecord, type ParsedRecord } from './file-sink.js';
import { signHead, type HeadReadResult } from './head.js';
import type { AuditVerifyFailure, AuditVerifyProgress, AuditVerifyReason, AuditVerifyResult } from './verify.js';

/** Rows per round trip: bounds memory on a chain of any length. */
const PAGE = 10_000;

export interface PgAuditVerifyOptions {
  readonly url: string;
  readonly table: string;
  readonly instance: string;
  readonly key?: AuditKey;
  /** Called after each page of rows; `total` is the head row's seq, when there is a valid one. */
  readonly onProgress?: (progress: AuditVerifyProgress) => void;
}

/**
 * Reads one instance's chain once, in seq order and pages, and checks every row's
 * hash, its columns, its link to the one before and its seq, then compares the end
 * with the signed head row. Stops at the first bad row; `line` is its 1-based position
 * in the chain and `records` counts the good rows before it.
 */
export async function verifyPgAuditLog(options: PgAuditVerifyOptions): Promise<AuditVerifyResult> {
  const tables = await loadPgAuditTables(options.table);
  const client = await connect(tables.driver, options.url);
  try {
    // One snapshot for the head and every page: a sink committing meanwhile moves both or neither.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const exists = await existing(client, tables);
    if (!exists.rows) return logMissing(`There is no table ${options.table}.`);
    const head: HeadReadResult = exists.head ? await readPgHead(client, tables.head, options.instance, options.key) : { state: 'missing' };
    const scan = new PgChainScan(options.instance, options.key, head);
    const total = head.state === 'valid' ? head.head.seq : undefined;
    for (let after = '0'; ; ) {
      const { rows } = await client.query<PgAuditRow>(
        `SELECT seq, hash, prev, line FROM ${tables.rows} WHERE instance = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
        [options.instance, after],
      );
      for (const row of rows) {
        const failure = scan.row(row);
        if (failure) return { ok: false, records: scan.records, firstBad: failure };
        after = row.seq;
      }
      options.onProgress?.({ records: scan.records, done: scan.records, total });
      if (rows.length < PAGE) break;
    }
    if (scan.records === 0 && head.state === 'missing') {
      return logMissing(`Table ${options.table} holds no chain for instance "${options.instance}".`);
    }
    const failure = scan.end();
    return failure ? { ok: false, records: scan.records, firstBad: failure } : { ok: true, records: scan.records, gaps: scan.gaps };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The instances with records or a head row in the table, sorted; none when the table does not exist. */
export async function listPgAuditInstances(url: string, table: string): Promise<string[]> {
  const tables = await loadPgAuditTables(table);
  const client = await connect(tables.driver, url);
  try {
    const exists = await existing(client, tables);
    if (!exists.rows) return [];
    // A skip scan over the primary key: one index probe per instance, not a pass over every record.
    const { rows } = await client.query<{ instance: string }>(
      `WITH RECURSIVE i (instance) AS (
        (SELECT instance FROM ${tables.rows} ORDER BY instance LIMIT 1)
        UNION ALL
        SELECT (SELECT instance FROM ${tables.rows} WHERE instance > i.instance ORDER BY instance LIMIT 1) FROM i WHERE i.instance IS NOT NULL)
      SELECT instance FROM i WHERE instance IS NOT NULL
      ${exists.head ? `UNION SELECT instance FROM ${tables.head}` : ''} ORDER BY 1`,
    );
    return rows.map((row) => row.instance);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The columns of a stored record that the chain checks; `seq` as PostgreSQL sends a bigint. */
export interface PgAuditRow {
  readonly seq: string;
  readonly hash: string;
  readonly prev: string;
  readonly line: string;
}

export interface PgAuditTables {
  readonly driver: typeof pg;
  /** Quoted names of the records table and of `<table>_head`. */
  readonly rows: string;
  readonly head: string;
}

/**
 * Checks the configured table name, then loads the driver (only a PostgreSQL audit
 * needs it, so importing this module does not) and quotes both names with it.
 */
export async function loadPgAuditTables(table: string): Promise<PgAuditTables> {
  // 58 leaves room for `_head` within PostgreSQL's 63-byte identifiers.
  if (!/^[a-z][a-z0-9_]{0,57}$/.test(table)) {
    throw new TypeError(`audit table "${table}": use 1-58 lowercase letters, digits or _, starting with a letter`);
  }
  const { default: driver } = await import('pg');
  return { driver, rows: driver.escapeIdentifier(table), head: driver.escapeIdentifier(`${table}_head`) };
}

export type PgRowCheck =
  | { readonly ok: true; readonly record: ParsedRecord }
  | { readonly ok: false; readonly reason: AuditVerifyReason; readonly seq?: number; readonly detail: string };

/**
 * Whether a stored row can be trusted on its own: its line must match its hash byte
 * for byte, and the seq/hash/prev columns (which queries and the keyset read) must say
 * what the line says. The link to the row before is the verifier's business.
 */
export function checkRow(row: PgAuditRow, instance: string, key?: AuditKey): PgRowCheck {
  const record = parseRecord(row.line);
  if (record === null) return { ok: false, reason: 'UNPARSABLE', detail: 'The line is not a JSON audit record with seq, prev and hash.' };
  const { seq, hash, prev } = record;
  const bad = (reason: AuditVerifyReason, detail: string): PgRowCheck => ({ ok: false, reason, seq, detail });
  if (lineHash(row.line, prev, hash, key) !== hash) return bad('HASH_MISMATCH', 'The record does not match its hash: it was edited, or the log uses a different key.');
  if (row.hash !== hash) return bad('HASH_MISMATCH', 'The hash column differs from the hash in the record.');
  if (row.prev !== prev) return bad('PREV_MISMATCH', 'The prev column differs from the prev in the record.');
  if (row.seq !== String(seq)) return bad('SEQ_MISMATCH', `The seq column says ${row.seq}: rows were renumbered.`);
  if (record['instance'] !== instance) return bad('PREV_MISMATCH', 'The record was written by another instance: it was copied into this chain.');
  return { ok: true, record };
}

/** The instance's signed head row, checked like the file sink's `audit.head`. */
export async function readPgHead(client: pg.ClientBase, head: string, instance: string, key?: AuditKey): Promise<HeadReadResult> {
  const { rows } = await client.query<{ seq: string; hash: string; time: string; mac: string }>(
    `SELECT seq, hash, time, mac FROM ${head} WHERE instance = $1`,
    [instance],
  );
  const row = rows[0];
  if (row === undefined) return { state: 'missing' };
  const expected = signHead({ seq: Number(row.seq), hash: row.hash, time: row.time }, key);
  if (expected.mac !== row.mac || String(expected.seq) !== row.seq) {
    return { state: 'invalid', detail: 'the head row signature does not match (edited, or a different key)' };
  }
  return { state: 'valid', head: expected };
}

function logMissing(detail: string): AuditVerifyResult {
  return { ok: false, records: 0, firstBad: { line: 0, reason: 'LOG_MISSING', detail } };
}

async function connect(driver: typeof pg, url: string): Promise<pg.Client> {
  const client = new driver.Client({ connectionString: url, application_name: 'bastion-audit-verify', connectionTimeoutMillis: 10_000 });
  // A connection lost mid-read fails the running query; the event itself needs no handling.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function existing(client: pg.Client, tables: PgAuditTables): Promise<{ rows: boolean; head: boolean }> {
  const { rows } = await client.query<{ rows: boolean; head: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS rows, to_regclass($2) IS NOT NULL AS head',
    [tables.rows, tables.head],
  );
  return rows[0] ?? { rows: false, head: false };
}

class PgChainScan {
  records = 0;
  gaps = 0;
  private seq = 0;
  private hash = GENESIS_HASH;

  constructor(
    private readonly instance: string,
    private readonly key: AuditKey | undefined,
    private readonly head: HeadReadResult,
  ) {}

  row(row: PgAuditRow): AuditVerifyFailure | null {
    const line = this.records + 1;
    const check = checkRow(row, this.instance, this.key);
    if (!check.ok) return { line, seq: check.seq, reason: check.reason, detail: check.detail };
    // The columns now say what the line says.
    const { seq, hash, prev } = check.record;
    if (prev !== this.hash) {
      return { line, seq, reason: 'PREV_MISMATCH', detail: `The record does not follow the one before it${line > 1 ? ` (position ${line - 1})` : ''}: a record was deleted, reordered or inserted.` };
    }
    if (seq !== this.seq + 1) return { line, seq, reason: 'SEQ_MISMATCH', detail: `Expected seq ${this.seq + 1}.` };
    if (this.head.state === 'valid') {
      // Rows and head commit in one transaction, so no honest row lies past the head.
      if (seq > this.head.head.seq) return { line, seq, reason: 'HEAD_MISMATCH', detail: `The record lies past the head row (seq ${this.head.head.seq}): it was inserted outside Bastion.` };
      if (seq === this.head.head.seq && hash !== this.head.head.hash) return { line, seq, reason: 'HEAD_MISMATCH', detail: 'The head row names a different record at this seq.' };
    }
    if (check.record['outcome'] === 'gap') this.gaps += 1;
    this.seq = seq;
    this.hash = hash;
    this.records += 1;
    return null;
  }

  end(): AuditVerifyFailure | null {
    const head = this.head;
    if (head.state === 'invalid') return { line: 0, reason: 'HEAD_INVALID', detail: `The head row is not valid: ${head.detail}.` };
    if (head.state === 'missing') {
      return this.records === 0 ? null : { line: 0, reason: 'HEAD_MISSING', detail: 'The head row is missing, so a cut tail could not be detected.' };
    }
    if (head.head.seq > this.seq) {
      return {
        line: this.records + 1,
        seq: this.seq + 1,
        reason: 'TRUNCATED',
        detail: `The chain ends at seq ${this.seq} but the head row says ${head.head.seq}: ${head.head.seq - this.seq} record(s) were removed from the end.`,
      };
    }
    return null;
  }
}
