import { randomBytes } from 'node:crypto';
import { hashMask } from '../engine/mask-hash.js';
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
  const masks = result.columns.map((column) => {
    const origin = column.origin;
    if (origin === undefined) return undefined;
    return plan.columns.find((m) => m.tableOid === origin.tableOid && m.attnum === origin.attnum);
  });
  if (masks.every((m) => m === undefined)) return result;
  const rows = result.rows.map((row) => row.map((value, i) => {
    const found = masks[i];
    return found === undefined ? value : mask(value, found.kind, found.domain);
  }));
  return { ...result, rows };
}

function mask(value: unknown, kind: 'partial' | 'hash' | 'null', domain: Uint8Array): unknown {
  if (value === null || value === undefined || kind === 'null') return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Keyed with a per-process secret: low-entropy values (phone numbers, national ids) cannot be brute-forced back.
  if (kind === 'hash') return hashMask(text, HASH_KEY, domain);
  return partial(text);
}

/** `jane.doe@example.com` → `j***@example.com`; other text keeps its first character. */
function partial(text: string): string {
  const at = text.indexOf('@');
  if (at > 0) return `${text[0] ?? ''}***${text.slice(at)}`;
  return text.length <= 1 ? '***' : `${text[0] ?? ''}***`;
}
