import { createHmac, hash as oneShotHash } from 'node:crypto';
import { canonicalJson, escapeLineBreakers, hasLineBreakers, sortedJson, sortedMembers } from '../util/canonical-json.js';

/** The `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditKey = string | Buffer;

/** SHA-256, or HMAC-SHA-256 when a key is configured, as lowercase hex. */
export function digest(text: string, key?: AuditKey): string {
  // The one-shot call skips building a Hash object per record; a string is hashed as UTF-8 either way.
  if (key === undefined) return oneShotHash('sha256', text, 'hex');
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
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
 * The top-level members of the records Bastion writes, sorted (`hash` apart), each with
 * its `"key":` text: a record of only these is serialized without sorting or quoting keys.
 */
const RECORD_KEYS: readonly { readonly name: string; readonly prefix: string }[] = [
  'affected', 'approval', 'args', 'args_shape', 'audit', 'bytes', 'client', 'correlation_id', 'decision', 'dry_run', 'duration_ms',
  'fingerprint', 'instance', 'outcome', 'prev', 'principal', 'reason', 'rows', 'seq', 'session', 'source', 'time', 'tool', 'trace_id',
]
  .sort()
  .map((name) => ({ name, prefix: `${JSON.stringify(name)}:` }));
const RECORD_RANK: ReadonlyMap<string, number> = new Map(RECORD_KEYS.map(({ name }, rank) => [name, rank]));
/** The rank of the first known key that sorts after `hash`. */
const AFTER_HASH = RECORD_KEYS.findIndex(({ name }) => name > 'hash');

/**
 * The members before and after `hash` (unescaped) when every key of `body` is a known
 * record key (a bit per rank: at most 31), or null so the caller sorts them itself.
 */
function knownMembers(body: Readonly<Record<string, unknown>>): [before: string, after: string] | null {
  if (RECORD_KEYS.length > 31) return null;
  let present = 0;
  for (const name of Object.keys(body)) {
    const rank = RECORD_RANK.get(name);
    if (rank === undefined) return null;
    present |= 1 << rank;
  }
  let before = '';
  let after = '';
  for (let rank = 0; present >>> rank !== 0; rank++) {
    const known = RECORD_KEYS[rank];
    if ((present & (1 << rank)) === 0 || known === undefined) continue;
    const member = body[known.name];
    if (member === undefined || typeof member === 'function') continue;
    const text = known.prefix + sortedJson(member);
    if (rank < AFTER_HASH) before += (before.length > 0 ? ',' : '') + text;
    else after += (after.length > 0 ? ',' : '') + text;
  }
  return [before, after];
}

/**
 * Hashes a record and gives its line (canonical JSON with `hash` in its sorted place)
 * in one serialization: the writer's hot path. `body` becomes the record (it gains `hash`).
 */
export function sealRecord<T extends Record<string, unknown>>(body: T, key?: AuditKey): { record: T & { hash: string }; line: string } {
  // Members sort around `hash`; a `hash` the caller left in the body is replaced, never chained.
  let [before, after] = knownMembers(body) ?? [sortedMembers(body, (name) => name < 'hash'), sortedMembers(body, (name) => name > 'hash')];
  let canonicalBody = `{${before}${before && after ? ',' : ''}${after}}`;
  // Escaping acts character by character on string contents, so escaping each half is escaping the whole.
  if (hasLineBreakers(canonicalBody)) {
    before = escapeLineBreakers(before);
    after = escapeLineBreakers(after);
    canonicalBody = `{${before}${before && after ? ',' : ''}${after}}`;
  }
  const hash = digest(chainInput(body['prev'], canonicalBody), key);
  const line = `{${before ? `${before},` : ''}"hash":"${hash}"${after ? `,${after}` : ''}}`;
  // The body becomes the record: callers hand over a fresh object (no copy on the hot path).
  const record = body as T & { hash: string };
  (record as Record<string, unknown>)['hash'] = hash;
  return { record, line };
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
