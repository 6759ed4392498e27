import { createHash, createHmac } from 'node:crypto';

/** The `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditKey = string | Buffer;

/**
 * JSON with object keys sorted at every level and `undefined` members dropped, so
 * the same record always serializes to the same bytes. Characters that some readers
 * treat as line breaks or terminal controls (DEL, C1 controls, U+2028, U+2029) are
 * escaped on top of what JSON.stringify escapes, so a record is always one line; so
 * are zero-width and bidi controls.
 */
export function canonicalJson(value: unknown): string {
  return escapeLineBreakers(serialize(value));
}

// Also the invisible and bidi-control characters, so `cat audit.jsonl` shows what is there.
const UNSAFE_IN_LINE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeLineBreakers(text: string): string {
  return text.replace(UNSAFE_IN_LINE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function serialize(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : serialize(item))).join(',')}]`;
  return `{${members(value as Record<string, unknown>)
    .map(([, text]) => text)
    .join(',')}}`;
}

/** Sorted `[key, "key":value]` pairs of the members that serialize. */
function members(value: Readonly<Record<string, unknown>>): [string, string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(value).sort()) {
    const member = value[key];
    if (member === undefined || typeof member === 'function') continue;
    out.push([key, `${JSON.stringify(key)}:${serialize(member)}`]);
  }
  return out;
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
  return digest(chainInput(body['prev'], canonicalJson(body)), key);
}

function chainInput(prev: unknown, canonicalBody: string): string {
  return (typeof prev === 'string' ? prev : '') + canonicalBody;
}

/**
 * Hashes a record and gives its line (canonical JSON with `hash` in its sorted place)
 * in one serialization: the writer's hot path.
 */
export function sealRecord<T extends Record<string, unknown>>(body: T, key?: AuditKey): { record: T & { hash: string }; line: string } {
  // A `hash` the caller left in the body is replaced, never chained.
  const pairs = members(body).filter(([name]) => name !== 'hash');
  // Escaping works character by character, so escaping each member equals escaping the whole line.
  const parts = pairs.map(([, text]) => escapeLineBreakers(text));
  const hash = digest(chainInput(body['prev'], `{${parts.join(',')}}`), key);
  const at = pairs.findIndex(([name]) => name > 'hash');
  parts.splice(at === -1 ? parts.length : at, 0, `"hash":"${hash}"`);
  return { record: { ...body, hash }, line: `{${parts.join(',')}}` };
}

/**
 * The hash of a stored line as written: the line with its top-level `hash` member cut
 * out must be the canonical body, so any change to the bytes (even spacing) shows.
 * Returns null when the member is not where a canonical line has it.
 */
export function lineHash(line: string, prev: string, hash: string, key?: AuditKey): string | null {
  const member = `"hash":${canonicalJson(hash)}`;
  let at = line.indexOf(`,${member}`);
  let body: string;
  if (at !== -1) {
    body = line.slice(0, at) + line.slice(at + member.length + 1);
  } else {
    at = line.indexOf(`{${member},`);
    if (at !== 0) return null;
    body = `{${line.slice(member.length + 2)}`;
  }
  return digest(prev + body, key);
}
