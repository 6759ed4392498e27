import { createHmac, randomBytes } from 'node:crypto';
import type { MaskPlan } from '../authorize/statement.js';
import type { ReadResult } from '../engine/source.js';

/**
 * Masks result values before they leave the server. Columns are matched by the
 * table OID and attribute number PostgreSQL reports for each result column, so a
 * masked column is caught under any alias, through `*` and through subqueries.
 */
const HASH_KEY = randomBytes(32);

/**
 * The per-process key of the `hash` mask, for an engine that computes the mask in the
 * statement (ReadGuard.protect): the same value masks the same way on both paths.
 */
export function maskHashKey(): Uint8Array {
  return Uint8Array.from(HASH_KEY);
}

export function applyMasks(result: ReadResult, plan: MaskPlan): ReadResult {
  if (plan.columns.length === 0) return result;
  const kinds = result.columns.map((column) => {
    const origin = column.origin;
    if (origin === undefined) return undefined;
    return plan.columns.find((m) => m.tableOid === origin.tableOid && m.attnum === origin.attnum)?.kind;
  });
  if (kinds.every((k) => k === undefined)) return result;
  const rows = result.rows.map((row) => row.map((value, i) => {
    const kind = kinds[i];
    return kind === undefined ? value : mask(value, kind);
  }));
  return { ...result, rows };
}

function mask(value: unknown, kind: 'partial' | 'hash' | 'null'): unknown {
  if (value === null || value === undefined || kind === 'null') return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (kind === 'hash') {
    // Keyed with a per-process secret: equal values stay comparable within a run, and
    // low-entropy values (phone numbers, national ids) cannot be brute-forced back.
    return `hmac:${createHmac('sha256', HASH_KEY).update(text).digest('hex').slice(0, 16)}`;
  }
  return partial(text);
}

/** `jane.doe@example.com` → `j***@example.com`; other text keeps its first character. */
function partial(text: string): string {
  const at = text.indexOf('@');
  if (at > 0) return `${text[0] ?? ''}***${text.slice(at)}`;
  return text.length <= 1 ? '***' : `${text[0] ?? ''}***`;
}
