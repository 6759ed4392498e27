import type pg from 'pg';
import type { Logger } from '../log/logger.js';
import { isUniqueViolation, openStatePool, type StateTable } from '../util/state-pool.js';
import {
  APPROVAL_ID_PATTERN,
  buildApproval,
  checkDecision,
  checkNewApproval,
  checkSince,
  generateApprovalId,
  judgeConsume,
  KEEP_DECIDED_MS,
  notDecidable,
  toApproval,
  type Approval,
  type ApprovalBinding,
  type ApprovalStore,
  type ApprovalStoreOptions,
  type ApprovalTool,
  type ConsumeResult,
  type NewApproval,
  type StoredApproval,
  type StoredStatus,
} from './store.js';

/**
 * The table, in the connection's default schema. Fixed DDL and fixed statements;
 * every value is a parameter. Times come from the store's clock, as parameters, so
 * expiry is judged the same way by the file store, this one and the tests.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS bastion_approvals (
  id text PRIMARY KEY CHECK (id ~ '^ap_[A-Za-z0-9_-]{22}$'),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'used')),
  principal text NOT NULL,
  source text NOT NULL,
  tool text NOT NULL CHECK (tool IN ('execute', 'change_schema')),
  sql_sha256 text NOT NULL CHECK (sql_sha256 ~ '^[0-9a-f]{64}$'),
  params_sha256 text NOT NULL CHECK (params_sha256 ~ '^[0-9a-f]{64}$'),
  instance text NOT NULL,
  statement text NOT NULL,
  summary text NOT NULL,
  max_rows integer CHECK (max_rows >= 0),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  used_at timestamptz
);
ALTER TABLE bastion_approvals ADD COLUMN IF NOT EXISTS max_rows integer CHECK (max_rows >= 0)`;
const TABLE: StateTable = {
  // Present with its newest column: a table made before max_rows existed gets it added.
  exists: `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('bastion_approvals') AND attname = 'max_rows' AND NOT attisdropped) AS present`,
  ddlLock: `SELECT pg_advisory_xact_lock(7300417002)`,
  create: CREATE_TABLE,
};
const COLUMNS = `id, status, principal, source, tool, sql_sha256, params_sha256, instance, statement, summary,
  created_at, expires_at, decided_by, decided_at, used_at, max_rows`;
const INSERT = `INSERT INTO bastion_approvals (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`;
/** Finished (used, denied, expired) more than a day before $1. */
const PRUNE = `DELETE FROM bastion_approvals WHERE (status = 'used' AND used_at < $1) OR (status = 'denied' AND decided_at < $1)
  OR (status IN ('pending', 'approved') AND expires_at < $1)`;
const SELECT_ONE = `SELECT ${COLUMNS} FROM bastion_approvals WHERE id = $1`;
const SELECT_PENDING = `SELECT ${COLUMNS} FROM bastion_approvals WHERE status = 'pending' AND expires_at > $1 ORDER BY created_at DESC, id`;
const SELECT_ALL = `SELECT ${COLUMNS} FROM bastion_approvals ORDER BY created_at DESC, id`;
const DECIDE = `UPDATE bastion_approvals SET status = $2, decided_by = $3, decided_at = $4
  WHERE id = $1 AND status = 'pending' AND expires_at > $4 RETURNING ${COLUMNS}`;
/**
 * The single use: of racing replicas only one UPDATE finds the row still approved.
 * The binding was compared (in constant time) before; repeating it here means the
 * row that is used up is the row that was checked, whatever happened in between.
 */
const CONSUME = `UPDATE bastion_approvals SET status = 'used', used_at = $2
  WHERE id = $1 AND status = 'approved' AND expires_at > $2
    AND principal = $3 AND source = $4 AND tool = $5 AND sql_sha256 = $6 AND params_sha256 = $7
  RETURNING ${COLUMNS}`;
const CHANGES = `SELECT ${COLUMNS} FROM bastion_approvals WHERE instance = $1
  AND (decided_at > $2 OR (status IN ('pending', 'approved') AND expires_at > $2 AND expires_at <= $3))
  ORDER BY created_at DESC, id`;

interface ApprovalRow {
  id: string;
  status: StoredStatus;
  principal: string;
  source: string;
  tool: ApprovalTool;
  sql_sha256: string;
  params_sha256: string;
  instance: string;
  statement: string;
  summary: string;
  max_rows: number | null;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  used_at: Date | null;
}

/**
 * Approvals in the PostgreSQL table `bastion_approvals` at `state.url`, shared by
 * every replica: a person approves once, whichever replica asked, and an approval is
 * used once, whichever replica the retry reaches.
 */
export class PostgresApprovalStore implements ApprovalStore {
  readonly location = 'PostgreSQL table bastion_approvals (state.url)';
  private readonly log: Logger | undefined;
  private readonly now: () => Date;

  private constructor(
    private readonly pool: pg.Pool,
    options: ApprovalStoreOptions,
  ) {
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
  }

  static async open(url: string, options: ApprovalStoreOptions = {}): Promise<PostgresApprovalStore> {
    return new PostgresApprovalStore(await openStatePool(url, options.log, TABLE), options);
  }

  async create(input: NewApproval): Promise<Approval> {
    checkNewApproval(input);
    const now = this.now();
    await this.pool.query(PRUNE, [new Date(now.getTime() - KEEP_DECIDED_MS)]);
    for (let attempt = 0; ; attempt++) {
      const r = buildApproval(input, generateApprovalId(), now);
      try {
        await this.pool.query(INSERT, [
          r.id,
          r.status,
          r.principal,
          r.source,
          r.tool,
          r.sqlHash,
          r.paramsHash,
          r.instance,
          r.statement,
          r.summary,
          r.createdAt,
          r.expiresAt,
          r.decidedBy,
          r.decidedAt,
          r.usedAt,
          r.maxRows,
        ]);
        return toApproval(r, now);
      } catch (error) {
        // A 128-bit id collision cannot really happen; drawing again costs nothing.
        if (!isUniqueViolation(error) || attempt >= 2) throw error;
      }
    }
  }

  async get(id: string): Promise<Approval | undefined> {
    const found = await this.find(id);
    return found === undefined ? undefined : toApproval(found, this.now());
  }

  async list(options: { all?: boolean } = {}): Promise<Approval[]> {
    const now = this.now();
    const result = options.all === true ? await this.pool.query<ApprovalRow>(SELECT_ALL) : await this.pool.query<ApprovalRow>(SELECT_PENDING, [now]);
    return result.rows.map((row) => toApproval(fromRow(row), now));
  }

  async decide(id: string, decision: 'approved' | 'denied', by: string): Promise<Approval> {
    checkDecision(decision, by);
    const now = this.now();
    const row = APPROVAL_ID_PATTERN.test(id) ? (await this.pool.query<ApprovalRow>(DECIDE, [id, decision, by, now])).rows[0] : undefined;
    if (row !== undefined) return toApproval(fromRow(row), now);
    const current = await this.find(id);
    throw notDecidable(id, decision, current === undefined ? undefined : toApproval(current, now), this.location);
  }

  async consume(id: string, binding: ApprovalBinding): Promise<ConsumeResult> {
    const now = this.now();
    const verdict = judgeConsume(await this.find(id), binding, now, this.log);
    if (!verdict.ok) return verdict;
    const b = verdict.record;
    const row = (await this.pool.query<ApprovalRow>(CONSUME, [id, now, b.principal, b.source, b.tool, b.sqlHash, b.paramsHash])).rows[0];
    if (row !== undefined) return { ok: true, approval: toApproval(fromRow(row), now) };
    // Another replica used it (or it expired) between the read and the update.
    const again = judgeConsume(await this.find(id), binding, now, this.log);
    return again.ok ? { ok: false, reason: 'USED' } : again;
  }

  async changesSince(instance: string, since: string): Promise<Approval[]> {
    const after = checkSince(since);
    const now = this.now();
    const rows = (await this.pool.query<ApprovalRow>(CHANGES, [instance, after, now])).rows;
    return rows.map((row) => toApproval(fromRow(row), now));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async find(id: string): Promise<StoredApproval | undefined> {
    if (!APPROVAL_ID_PATTERN.test(id)) return undefined;
    const row = (await this.pool.query<ApprovalRow>(SELECT_ONE, [id])).rows[0];
    // Exact match: the column is text with the database's collation, the id is compared here byte for byte.
    return row !== undefined && row.id === id ? fromRow(row) : undefined;
  }
}

function fromRow(row: ApprovalRow): StoredApproval {
  return {
    id: row.id,
    status: row.status,
    principal: row.principal,
    source: row.source,
    tool: row.tool,
    sqlHash: row.sql_sha256,
    paramsHash: row.params_sha256,
    instance: row.instance,
    statement: row.statement,
    summary: row.summary,
    maxRows: row.max_rows,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    usedAt: row.used_at,
  };
}
