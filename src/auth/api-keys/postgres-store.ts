import type pg from 'pg';
import type { Logger } from '../../log/logger.js';
import { isUniqueViolation, openStatePool, type StateTable } from '../../util/state-pool.js';
import { hashesEqual } from '../../util/constant-time.js';
import { LastUsedBuffer } from './last-used.js';
import { buildNewKey } from './new-key.js';
import { withoutHash, type ApiKeyRecord, type ApiKeySnapshot, type ApiKeyStore, type CreatedApiKey, type NewApiKey, type StoredApiKey } from './store.js';

/**
 * The table, in the connection's default schema. Fixed DDL; every value is a
 * parameter. The checks keep a raw key from ever landing in the hash column.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS bastion_api_keys (
  id text PRIMARY KEY CHECK (id ~ '^key_[A-Za-z0-9_-]{8}$'),
  name text NOT NULL,
  role text NOT NULL,
  key_sha256 text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
)`;
const TABLE: StateTable = {
  exists: `SELECT to_regclass('bastion_api_keys') IS NOT NULL AS present`,
  ddlLock: `SELECT pg_advisory_xact_lock(7300417001)`,
  create: CREATE_TABLE,
};
const COLUMNS = 'id, name, role, key_sha256, created_at, expires_at, last_used_at, revoked_at';
const INSERT = `INSERT INTO bastion_api_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
const SELECT_ALL = `SELECT ${COLUMNS} FROM bastion_api_keys ORDER BY created_at, id`;
const SELECT_BY_HASH = `SELECT ${COLUMNS} FROM bastion_api_keys WHERE key_sha256 = $1`;
const REVOKE = `UPDATE bastion_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`;
const TOUCH = `UPDATE bastion_api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.used)
  FROM unnest($1::text[], $2::timestamptz[]) AS u(id, used) WHERE k.id = u.id`;

interface KeyRow {
  id: string;
  name: string;
  role: string;
  key_sha256: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * API keys in the PostgreSQL table `bastion_api_keys` at `state.url`, shared by
 * every replica. Verifiers poll it (every 2 s), so a revoke from the CLI reaches
 * all of them without a restart.
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  readonly refreshIntervalMs = 2_000;
  readonly location = 'PostgreSQL table bastion_api_keys (state.url)';
  private readonly lastUsed: LastUsedBuffer;
  private generation = 0;

  private constructor(
    private readonly pool: pg.Pool,
    log: Logger,
  ) {
    this.lastUsed = new LastUsedBuffer({ log, write: (batch) => this.writeLastUsed(batch) });
  }

  static async open(url: string, log: Logger): Promise<PostgresApiKeyStore> {
    return new PostgresApiKeyStore(await openStatePool(url, log, TABLE), log);
  }

  async create(input: NewApiKey): Promise<CreatedApiKey> {
    for (let attempt = 0; ; attempt++) {
      const { stored, key } = buildNewKey(input, new Date());
      try {
        await this.pool.query(INSERT, [
          stored.id,
          stored.name,
          stored.role,
          stored.hash,
          stored.createdAt,
          stored.expiresAt,
          stored.lastUsedAt,
          stored.revokedAt,
        ]);
        return { record: withoutHash(stored), key };
      } catch (error) {
        // A 48-bit id collision: draw again.
        if (!isUniqueViolation(error) || attempt >= 4) throw error;
      }
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.pool.query<KeyRow>(SELECT_ALL)).rows.map((row) => withoutHash(fromRow(row)));
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.pool.query(REVOKE, [id, new Date()]);
    return (result.rowCount ?? 0) > 0;
  }

  async findByHash(hash: string): Promise<StoredApiKey | undefined> {
    const row = (await this.pool.query<KeyRow>(SELECT_BY_HASH, [hash])).rows[0];
    return row !== undefined && hashesEqual(row.key_sha256, hash) ? fromRow(row) : undefined;
  }

  touch(id: string, when: Date): void {
    this.lastUsed.note(id, when);
  }

  /** The table is small: every poll reads it whole, so the token only numbers the reads. */
  async snapshot(): Promise<ApiKeySnapshot> {
    const rows = (await this.pool.query<KeyRow>(SELECT_ALL)).rows;
    return { token: String(++this.generation), keys: rows.map(fromRow) };
  }

  async close(): Promise<void> {
    await this.lastUsed.flush();
    await this.pool.end();
  }

  private async writeLastUsed(batch: ReadonlyMap<string, Date>): Promise<void> {
    await this.pool.query(TOUCH, [[...batch.keys()], [...batch.values()]]);
  }
}

function fromRow(row: KeyRow): StoredApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    hash: row.key_sha256,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
