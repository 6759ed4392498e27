import { createHash, createHmac } from 'node:crypto';

/** The `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditKey = string | Buffer;

/**
 * JSON with object keys sorted at every level and `undefined` members dropped, so
 * the same record always serializes to the same bytes. Characters that some readers
 * treat as line breaks or terminal controls (DEL, C1 controls, U+2028, U+2029) are
 * escaped on top of what JSON.stringify escapes, so a record is always one line.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value).replace(UNSAFE_IN_LINE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/g;

function serialize(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : serialize(item))).join(',')}]`;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || typeof member === 'function') continue;
    members.push(`${JSON.stringify(key)}:${serialize(member)}`);
  }
  return `{${members.join(',')}}`;
}

/** SHA-256, or HMAC-SHA-256 when a key is configured, as lowercase hex. */
export function digest(text: string, key?: AuditKey): string {
  const h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  return h.update(text, 'utf8').digest('hex');
}

/** `H(prev || canonical(record without hash))`. */
export function recordHash(record: Readonly<Record<string, unknown>>, key?: AuditKey): string {
  const body: Record<string, unknown> = { ...record };
  delete body['hash'];
  const prev = typeof body['prev'] === 'string' ? body['prev'] : '';
  return digest(prev + canonicalJson(body), key);
}
