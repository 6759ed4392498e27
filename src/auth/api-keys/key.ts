import { createHash, randomBytes } from 'node:crypto';

/**
 * The API key format: `ak_` followed by 256 bits of randomness in base64url
 * (43 characters). Only the SHA-256 of the whole key is ever stored; a key with
 * 256 bits of entropy needs no salt or slow hash, since nobody can guess it.
 */
export const API_KEY_PREFIX = 'ak_';
export const API_KEY_PATTERN = /^ak_[A-Za-z0-9_-]{43}$/;
const KEY_BYTES = 32;

/** A public, non-secret handle for a key (`key_` + 8 base64url characters), shown in lists and logs. */
export const KEY_ID_PATTERN = /^key_[A-Za-z0-9_-]{8}$/;
const ID_BYTES = 6;

/** A SHA-256 digest as lower-case hex, the only form in which a key is stored. */
export const KEY_HASH_PATTERN = /^[0-9a-f]{64}$/;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
}

export function generateKeyId(): string {
  return 'key_' + randomBytes(ID_BYTES).toString('base64url');
}

/** Cheap shape check done before any hashing, so garbage costs nothing. */
export function isWellFormedApiKey(value: unknown): value is string {
  return typeof value === 'string' && API_KEY_PATTERN.test(value);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
