import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/logger.js';
import type { Principal } from '../identity/principal.js';
import { hashesEqual } from '../../util/constant-time.js';
import { hashApiKey, isWellFormedApiKey } from './key.js';
import type { ApiKeyStore, StoredApiKey } from './store.js';

export interface ApiKeyVerifierOptions {
  store: ApiKeyStore;
  log: Logger;
  /** Roles a key may carry. A key whose role is no longer configured is refused. Absent: any role. */
  knownRoles?: ReadonlySet<string>;
  /** Poll interval; defaults to the store's (1 s for the file, 2 s for PostgreSQL). */
  refreshIntervalMs?: number;
  /**
   * When the store could not be read for this long, every key is refused: a revoke
   * this replica cannot see must not keep working. Default 30 s.
   */
  maxStalenessMs?: number;
  /** Clock for expiry checks; tests move it. */
  now?: () => Date;
}

interface IndexEntry {
  readonly id: string;
  readonly hash: string;
  readonly role: string;
  readonly expiresAt: number | null;
  readonly revoked: boolean;
}

/**
 * Turns a presented API key into a principal. Keys are looked up by SHA-256 in an
 * in-memory index that a poll keeps in step with the store, so verifying costs one
 * hash and one map lookup, and a revoke or a new key reaches a running server within
 * a poll interval, without a restart. The map lookup only reveals timing about the
 * digest, never the key; the digest found is then compared in constant time.
 */
export class ApiKeyVerifier {
  private index: ReadonlyMap<string, IndexEntry> = new Map();
  private token: string | undefined;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly store: ApiKeyStore;
  private readonly log: Logger;
  private readonly now: () => Date;
  readonly refreshIntervalMs: number;
  private readonly maxStalenessMs: number;

  private constructor(private readonly options: ApiKeyVerifierOptions) {
    this.store = options.store;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.refreshIntervalMs = options.refreshIntervalMs ?? options.store.refreshIntervalMs;
    this.maxStalenessMs = options.maxStalenessMs ?? 30_000;
  }

  /** Loads the index (a store that cannot be read stops the start) and starts polling. */
  static async create(options: ApiKeyVerifierOptions): Promise<ApiKeyVerifier> {
    const verifier = new ApiKeyVerifier(options);
    await verifier.refresh();
    verifier.timer = setInterval(() => void verifier.poll(), verifier.refreshIntervalMs).unref();
    return verifier;
  }

  /** The principal for a valid, unexpired, unrevoked key; undefined for anything else. */
  async verify(presented: string): Promise<Principal | undefined> {
    if (!isWellFormedApiKey(presented)) return undefined;
    if (performance.now() - this.loadedAt > this.maxStalenessMs) {
      this.log.debug({ reason: 'store unreadable', store: this.store.location }, 'API key refused');
      return undefined;
    }
    const hash = hashApiKey(presented);
    const entry = this.index.get(hash);
    if (entry === undefined || !hashesEqual(entry.hash, hash)) return this.refuse('unknown');
    if (entry.revoked) return this.refuse('revoked', entry.id);
    const now = this.now();
    if (entry.expiresAt !== null && now.getTime() >= entry.expiresAt) return this.refuse('expired', entry.id);
    if (this.options.knownRoles !== undefined && !this.options.knownRoles.has(entry.role)) {
      return this.refuse('role not configured', entry.id);
    }
    this.store.touch(entry.id, now);
    return { id: `key:${entry.id}`, kind: 'api_key', role: entry.role, scopes: [] };
  }

  /** Re-reads the store if it changed; one read at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<void> {
    const snapshot = await this.store.snapshot(this.token);
    if (snapshot !== undefined) {
      this.index = buildIndex(snapshot.keys);
      this.token = snapshot.token;
    }
    this.loadedAt = performance.now();
  }

  private async poll(): Promise<void> {
    try {
      await this.refresh();
      if (this.failing) this.log.info({ store: this.store.location }, 'API key store readable again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.log.warn({ err: error, store: this.store.location }, 'cannot read the API key store; keeping the last keys for now');
      this.failing = true;
    }
  }

  private refuse(reason: string, keyId?: string): undefined {
    this.log.debug({ reason, keyId }, 'API key refused');
    return undefined;
  }
}

function buildIndex(keys: readonly StoredApiKey[]): Map<string, IndexEntry> {
  const index = new Map<string, IndexEntry>();
  for (const key of keys) {
    index.set(key.hash, {
      id: key.id,
      hash: key.hash,
      role: key.role,
      expiresAt: key.expiresAt?.getTime() ?? null,
      revoked: key.revokedAt !== null,
    });
  }
  return index;
}
