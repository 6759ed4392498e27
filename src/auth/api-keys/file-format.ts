import { z } from 'zod';
import { KEY_HASH_PATTERN, KEY_ID_PATTERN } from './key.js';
import type { StoredApiKey } from './store.js';

/**
 * The on-disk form of `api-keys.json`: a version and a list of records holding
 * only the SHA-256 of each key. Parsed strictly, so a hand edit that breaks the
 * file stops the start instead of silently dropping keys.
 */
const timestamp = z.iso.datetime({ offset: true });

const recordSchema = z.strictObject({
  id: z.string().regex(KEY_ID_PATTERN),
  name: z.string().min(1),
  role: z.string().min(1),
  sha256: z.string().regex(KEY_HASH_PATTERN),
  created_at: timestamp,
  expires_at: timestamp.nullable(),
  last_used_at: timestamp.nullable(),
  revoked_at: timestamp.nullable(),
});

const fileSchema = z.strictObject({ version: z.literal(1), keys: z.array(recordSchema) });

type FileRecord = z.infer<typeof recordSchema>;

export function parseKeyFile(text: string): StoredApiKey[] {
  const file = fileSchema.parse(JSON.parse(text));
  return file.keys.map(fromFile);
}

export function serializeKeyFile(keys: readonly StoredApiKey[]): string {
  return `${JSON.stringify({ version: 1, keys: keys.map(toFile) }, null, 2)}\n`;
}

function fromFile(r: FileRecord): StoredApiKey {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    hash: r.sha256,
    createdAt: new Date(r.created_at),
    expiresAt: toDate(r.expires_at),
    lastUsedAt: toDate(r.last_used_at),
    revokedAt: toDate(r.revoked_at),
  };
}

function toFile(k: StoredApiKey): FileRecord {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    sha256: k.hash,
    created_at: k.createdAt.toISOString(),
    expires_at: k.expiresAt?.toISOString() ?? null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

function toDate(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
