/**
 * What an API key store holds and the one interface both back-ends (a file under
 * state.dir, a PostgreSQL table) implement. Callers of `list()` never get a hash;
 * only the verifier's index and `findByHash` deal in hashes, and nothing deals in keys
 * except `create`, which returns the new key exactly once.
 */
export interface ApiKeyRecord {
  /** Public id, `key_` + 8 characters; the principal id is `key:<id>`. */
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A record with the SHA-256 (hex) of its key: the form the store keeps. */
export interface StoredApiKey extends ApiKeyRecord {
  readonly hash: string;
}

export interface NewApiKey {
  name: string;
  role: string;
  expiresAt?: Date | undefined;
}

export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** The key itself: show it once, never store or log it. */
  key: string;
}

/** Every stored key, and a token that tells the next `snapshot` call whether anything changed. */
export interface ApiKeySnapshot {
  readonly token: string;
  readonly keys: readonly StoredApiKey[];
}

export interface ApiKeyStore {
  /** Where the keys live, for messages: a file path or `postgresql table bastion_api_keys`. */
  readonly location: string;
  /** How often a verifier should call `snapshot` so a revoke reaches it within 5 s. */
  readonly refreshIntervalMs: number;
  create(input: NewApiKey): Promise<CreatedApiKey>;
  /** All keys, oldest first, without hashes. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false when no key has this id. Revoking twice keeps the first time. */
  revoke(id: string): Promise<boolean>;
  findByHash(hash: string): Promise<StoredApiKey | undefined>;
  /**
   * Notes a use of the key. Buffered: written at most once per minute per key and in
   * batches, so verification never waits on a write.
   */
  touch(id: string, when: Date): void;
  /** All keys with their hashes, or undefined when nothing changed since `token`. */
  snapshot(token?: string): Promise<ApiKeySnapshot | undefined>;
  /** Writes buffered last-used times and releases files or connections. */
  close(): Promise<void>;
}

/** Removes the hash, so a caller that only lists keys never holds one. */
export function withoutHash(key: StoredApiKey): ApiKeyRecord {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
  };
}
