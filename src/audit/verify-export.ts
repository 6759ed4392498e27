import { lineHash, type AuditKey } from './chain.js';
import { parseRecord } from './log-files.js';

export type ExportVerifyResult =
  | {
      readonly ok: true;
      readonly records: number;
      readonly chains: number;
      readonly links: number;
      /** Places where an instance's seq skips: records a filter left out, or that were removed. The first one, for the message. */
      readonly gaps: number;
      readonly firstGap?: { readonly instance: string; readonly after: number; readonly next: number } | undefined;
    }
  | { readonly ok: false; readonly line: number; readonly detail: string };

/**
 * Checks an export of audit records (the console's JSON lines, each record exactly as
 * stored): every record must match its own hash (with the audit key, an HMAC nobody
 * without the key can forge), and two records of one instance with consecutive seq
 * must be linked (the later one's prev is the earlier one's hash). Where an instance's seq
 * skips, records are missing — left out by a filter, or removed — and the caller fails the
 * export unless told it is filtered. What an export cannot show is what came before its
 * first record or after its last: those are checked on the whole chain with
 * `bastion audit verify`.
 */
export function verifyExport(text: string, key: AuditKey | undefined): ExportVerifyResult {
  const last = new Map<string, { seq: number; hash: string }>();
  let records = 0;
  let links = 0;
  let gaps = 0;
  let firstGap: { instance: string; after: number; next: number } | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    const record = parseRecord(line);
    if (record === null) return { ok: false, line: i + 1, detail: 'The line is not a JSON audit record with seq, prev and hash.' };
    const instance = typeof record['instance'] === 'string' ? record['instance'] : '';
    if (lineHash(line, record.prev, record.hash, key) !== record.hash) {
      return { ok: false, line: i + 1, detail: 'The record does not match its hash: it was edited, or the audit uses a different key.' };
    }
    const before = last.get(instance);
    if (before !== undefined && record.seq === before.seq + 1) {
      if (record.prev !== before.hash) return { ok: false, line: i + 1, detail: `The record does not follow the one before it (seq ${before.seq}).` };
      links++;
    } else if (before !== undefined && record.seq <= before.seq) {
      return { ok: false, line: i + 1, detail: `The records of instance ${JSON.stringify(instance)} are out of order (seq ${record.seq} after ${before.seq}).` };
    } else if (before !== undefined) {
      gaps++;
      firstGap ??= { instance, after: before.seq, next: record.seq };
    }
    last.set(instance, { seq: record.seq, hash: record.hash });
    records++;
  }
  return { ok: true, records, chains: last.size, links, gaps, firstGap };
}
