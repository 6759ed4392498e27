import { generateApiKey, generateKeyId, hashApiKey } from './key.js';
import type { NewApiKey, StoredApiKey } from './store.js';

const NAME_MAX = 100;
/** Control and formatting characters would let a name rewrite the terminal that lists it. */
const UNSAFE_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const ROLE = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Checks a create request (caller mistakes throw TypeError) and builds the record
 * to store plus the key to show once. `takenIds` avoids the rare id collision.
 */
export function buildNewKey(input: NewApiKey, now: Date, takenIds: ReadonlySet<string> = new Set()): { stored: StoredApiKey; key: string } {
  const name = input.name.trim();
  if (name.length === 0 || name.length > NAME_MAX || UNSAFE_NAME.test(name)) {
    throw new TypeError(`an API key name must be 1 to ${NAME_MAX} printable characters`);
  }
  if (!ROLE.test(input.role)) throw new TypeError(`${JSON.stringify(input.role)} is not a valid role name`);
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && !(expiresAt.getTime() > now.getTime())) {
    throw new TypeError('an API key must expire in the future');
  }
  let id = generateKeyId();
  while (takenIds.has(id)) id = generateKeyId();
  const key = generateApiKey();
  const stored: StoredApiKey = {
    id,
    name,
    role: input.role,
    hash: hashApiKey(key),
    createdAt: now,
    expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  };
  return { stored, key };
}
