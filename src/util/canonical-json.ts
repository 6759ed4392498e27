// Canonical JSON: one text per value, the same bytes every time. The audit chain hashes it;
// approvals bind parameters with it. sortedJson, sortedMembers and the escaping are exported for
// the audit writer's one-pass sealing (audit/chain.ts).

/**
 * JSON with object keys sorted at every level and `undefined` members dropped, so
 * the same record always serializes to the same bytes. Characters that some readers
 * treat as line breaks or terminal controls (DEL, C1 controls, U+2028, U+2029) are
 * escaped on top of what JSON.stringify escapes, so a record is always one line; so
 * are zero-width and bidi controls.
 */
export function canonicalJson(value: unknown): string {
  return escapeLineBreakers(sortedJson(value));
}

// Also the invisible and bidi-control characters, so `cat audit.jsonl` shows what is there.
const UNSAFE_IN_LINE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const HAS_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/** Whether `text` holds a character canonicalJson escapes on top of JSON.stringify. */
export function hasLineBreakers(text: string): boolean {
  return HAS_UNSAFE.test(text);
}

/** `text` with those characters written as `\uXXXX` escapes. */
export function escapeLineBreakers(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_IN_LINE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Keys that JSON.stringify would quote as they are (the usual case): no call needed. */
const PLAIN_KEY = /^[A-Za-z0-9_$.:-]*$/;

function quoteKey(key: string): string {
  return PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key);
}

/** The same bytes as JSON.stringify with sorted keys, built in one pass without intermediate arrays (not yet escaped). */
export function sortedJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // For a finite number String() and JSON.stringify() agree.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return JSON.stringify(value) ?? 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i > 0 ? ',' : '') + (item === undefined ? 'null' : sortedJson(item));
    }
    return `${out}]`;
  }
  return `{${sortedMembers(value as Readonly<Record<string, unknown>>)}}`;
}

/** `"key":value` of the members that serialize and pass `keep`, sorted by key, comma-separated (not yet escaped). */
export function sortedMembers(value: Readonly<Record<string, unknown>>, keep?: (key: string) => boolean): string {
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  let out = '';
  for (const key of keys) {
    const member = value[key];
    if (member === undefined || typeof member === 'function' || (keep !== undefined && !keep(key))) continue;
    out += (out.length > 0 ? ',' : '') + quoteKey(key) + ':' + sortedJson(member);
  }
  return out;
}
