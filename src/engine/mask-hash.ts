import { createHmac } from 'node:crypto';

/**
 * The column a hash mask belongs to, as the message's prefix: `schema.table.column`, then a
 * zero byte. Equal values of one column hash alike (they stay comparable within a run); the
 * same value in another column does not, so a column whose values a role chooses (a table
 * it writes or creates, masked by the same rule) cannot be used to compute the hashes of a
 * protected column and look its real values up.
 */
export function maskDomain(schema: string, table: string, column: string): Buffer {
  return Buffer.concat([Buffer.from(`${schema}.${table}.${column}`, 'utf8'), Buffer.alloc(1)]);
}

/** `hmac:` + the first 16 hex digits of HMAC-SHA-256(key, domain ‖ text): what every engine's SQL mask computes too. */
export function hashMask(text: string, key: Uint8Array, domain: Uint8Array): string {
  return `hmac:${createHmac('sha256', key).update(domain).update(text, 'utf8').digest('hex').slice(0, 16)}`;
}
