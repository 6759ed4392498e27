import { createHash } from 'node:crypto';
import type pg from 'pg';
import { GENESIS_HASH, type AuditKey } from './chain.js';
import { AuditLogError } from './errors.js';
import type { AuditSinkLogger } from './file-sink.js';
import { signHead } from './head.js';
import { checkRow, loadPgAuditTables, readPgHead, type PgAuditRow, type PgAuditTables } from './pg-verify.js';
import type { AuditEvent, AuditRecord } from './record.js';
import { GroupCommit, sealBatch, type PendingAppend } from './seal-batch.js';
import type { AuditSink } from './sink.js';

export interface AuditPgSinkOptions {
  readonly url: string;
  /** Table of the records; the signed heads go to `<table>_head`. Lowercase letters, digits, `_`. */
  readonly table: string;
  /** Names this replica's chain: one chain, and one writer, per instance. */
  readonly instance: string;
  /** With a key the chain and head use HMAC-SHA-256, which a forger cannot recompute. */
  readonly key?: AuditKey;
  readonly log?: AuditSinkLogger;
  /** Most records per transaction (default 4096). */
  readonly maxBatch?: number;
}

export interface AuditPgSinkStats {
  readonly records: number;
  /** One per batch: the INSERT of its rows and the head upsert commit together. */
  readonly transactions: number;
}

/**
 * The hash-chained audit log in a PostgreSQL table shared by replicas, one chain per
 * instance. `append` resolves only after COMMIT; appends that arrive while a batch is
 * being written share the next transaction (group commit), which also moves the
 * instance's signed head row, so rows and head never disagree. One writer per
 * instance, held by a session advisory lock on the sink's own connection: if that
 * connection dies, the lock and the writer die together.
 */
export class AuditPgSink implements AuditSink {
  readonly kind = 'postgres';
  private failure: AuditLogError | null = null;
  private closed = false;
  private counters = { records: 0, transactions: 0 };
  private readonly pending: GroupCommit;

  private constructor(
    private readonly client: pg.Client,
    private readonly options: AuditPgSinkOptions,
    private readonly insert: string,
    private lastSeq: number,
    private lastHash: string,
  ) {
    this.pending = new GroupCommit((batch) => this.commit(batch), options.maxBatch);
    // A connection lost while idle must not go unnoticed until the next append.
    client.on('error', (error) => this.fail(error));
    client.on('end', () => {
      if (!this.closed) this.fail(new Error('the audit database connection ended'));
    });
  }

  /** Creates the tables if needed, takes the instance's writer lock and continues its chain. */
  static async open(options: AuditPgSinkOptions): Promise<AuditPgSink> {
    if (options.instance.length === 0) throw new TypeError('AuditPgSink.open: instance must not be empty');
    if (options.maxBatch !== undefined && !(Number.isSafeInteger(options.maxBatch) && options.maxBatch > 0)) {
      throw new TypeError('AuditPgSink.open: maxBatch must be a positive integer');
    }
    const tables = await loadPgAuditTables(options.table);
    const client = new tables.driver.Client({ connectionString: options.url, application_name: 'bastion-audit', connectionTimeoutMillis: 10_000 });
    const onError = (): void => undefined; // until the sink takes over: open's own queries report the failure
    client.on('error', onError);
    try {
      await client.connect();
      // `append` promises durability: a server running with synchronous_commit off would not keep it.
      await client.query(`SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'`);
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [lockKey(options.table, options.instance)]);
      if (locked.rows[0]?.locked !== true) {
        throw new AuditLogError(
          'AUDIT_LOCKED',
          `Another Bastion process is writing the audit chain of instance "${options.instance}" in table ${options.table}; give each replica its own audit.instance.`,
        );
      }
      await ensureTables(client, tables);
      const tail = await readTail(client, tables.rows, options);
      await checkHead(client, tables.head, options, tail);
      const sink = new AuditPgSink(client, options, insertSql(tables), tail.seq, tail.hash);
      client.off('error', onError);
      return sink;
    } catch (error) {
      // Ending the session also releases the advisory lock.
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Resolves with the record once its transaction committed; rejects if it could not be written. */
  append(event: AuditEvent): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditLogError('AUDIT_CLOSED', 'The audit log is closed.'));
    return this.pending.push(event);
  }

  get stats(): AuditPgSinkStats {
    return { ...this.counters };
  }

  /** Waits for pending records, then ends the connection, which releases the writer lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending.drain();
    await this.client.end().catch(() => undefined);
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    if (this.failure) {
      for (const pending of batch) pending.reject(this.failure);
      return;
    }
    const { instance, key } = this.options;
    const { records, lines, seq, hash } = sealBatch(batch, { seq: this.lastSeq, hash: this.lastHash }, instance, key);
    const head = signHead({ seq, hash, time: new Date().toISOString() }, key);
    try {
      // One statement is one transaction: the rows and the head commit or vanish together.
      const columns = [records.map((r) => r.seq), records.map((r) => r.time), lines, records.map((r) => r.hash), records.map((r) => r.prev)];
      await this.client.query(this.insert, [instance, ...columns, head.seq, head.hash, head.time, head.mac]);
    } catch (error) {
      // Whether the COMMIT landed is unknown: refuse everything until a reopen reads the real tail.
      this.fail(error);
      for (const pending of [...batch, ...this.pending.takeAll()]) pending.reject(this.failure);
      return;
    }
    this.lastSeq = seq;
    this.lastHash = hash;
    this.counters.records += records.length;
    this.counters.transactions += 1;
    records.forEach((record, i) => batch[i]?.resolve(record));
  }

  /** Fails the sink closed, once: every pending and later append rejects. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = new AuditLogError('AUDIT_WRITE_FAILED', 'The audit log could not be written; calls are refused until it is reopened.', { cause: error });
    this.options.log?.error({ err: error }, 'audit: database write failed; refusing further appends');
  }
}

/** A 64-bit advisory lock key for one instance's chain in one table. */
function lockKey(table: string, instance: string): string {
  return createHash('sha256').update(`bastion-audit\0${table}\0${instance}`).digest().readBigInt64BE(0).toString();
}

/** Serialises the first start of several replicas, which would otherwise race in CREATE TABLE. */
const DDL_LOCK = 'SELECT pg_advisory_xact_lock(7300417002)';

async function ensureTables(client: pg.Client, tables: PgAuditTables): Promise<void> {
  // A deployment may create the tables itself and grant only SELECT and INSERT/UPDATE: then no DDL runs.
  const exists = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS present', [tables.rows, tables.head]);
  if (exists.rows[0]?.present === true) return;
  try {
    await client.query('BEGIN');
    await client.query(DDL_LOCK);
    await client.query(`CREATE TABLE IF NOT EXISTS ${tables.rows} (
      instance text NOT NULL, seq bigint NOT NULL, time timestamptz NOT NULL,
      line text NOT NULL, hash text NOT NULL, prev text NOT NULL, PRIMARY KEY (instance, seq))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${tables.head} (
      instance text PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL, time text NOT NULL, mac text NOT NULL)`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function insertSql(tables: PgAuditTables): string {
  // A data-modifying CTE always runs to completion, so both inserts happen in this one statement.
  return `WITH written AS (
    INSERT INTO ${tables.rows} (instance, seq, time, line, hash, prev)
    SELECT $1, * FROM unnest($2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]))
  INSERT INTO ${tables.head} (instance, seq, hash, time, mac) VALUES ($1, $7, $8, $9, $10)
  ON CONFLICT (instance) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, time = EXCLUDED.time, mac = EXCLUDED.mac`;
}

async function readTail(client: pg.Client, rows: string, options: AuditPgSinkOptions): Promise<{ seq: number; hash: string }> {
  const result = await client.query<PgAuditRow>(`SELECT seq, hash, prev, line FROM ${rows} WHERE instance = $1 ORDER BY seq DESC LIMIT 1`, [options.instance]);
  const last = result.rows[0];
  if (last === undefined) return { seq: 0, hash: GENESIS_HASH };
  if (!checkRow(last, options.instance, options.key).ok) {
    throw new AuditLogError(
      'AUDIT_TAIL_CORRUPT',
      `The last audit record of instance "${options.instance}" in table ${options.table} is damaged or was written with a different key; verify the table and move the instance's rows aside to start a new chain.`,
    );
  }
  return { seq: Number(last.seq), hash: last.hash };
}

/**
 * Rows and head commit together, so they must agree exactly. A head ahead of the rows
 * is a cut tail (as in the file sink); unlike there, a missing head or rows past the
 * head are refused too: only a change made outside the sink can cause them.
 */
async function checkHead(client: pg.Client, head: string, options: AuditPgSinkOptions, tail: { seq: number; hash: string }): Promise<void> {
  const chain = `The audit chain of instance "${options.instance}" in table ${options.table}`;
  const result = await readPgHead(client, head, options.instance, options.key);
  if (result.state === 'missing') {
    if (tail.seq === 0) return;
    throw new AuditLogError('AUDIT_HEAD_INVALID', `${chain} has records but no head row: it was deleted; verify the table.`);
  }
  if (result.state === 'invalid') throw new AuditLogError('AUDIT_HEAD_INVALID', `${chain} has an invalid head row: ${result.detail}; verify the table.`);
  const { seq, hash } = result.head;
  if (seq > tail.seq || (seq === tail.seq && hash !== tail.hash)) {
    throw new AuditLogError('AUDIT_TRUNCATED', `${chain} ends at record ${tail.seq} but its head row says ${seq}: records were removed from the end; verify the table.`);
  }
  if (seq < tail.seq) {
    throw new AuditLogError('AUDIT_TAIL_CORRUPT', `${chain} has records after its head row (${seq}): they were inserted outside Bastion; verify the table.`);
  }
}
