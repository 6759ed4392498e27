import { createHash } from 'node:crypto';

/** Where a node was written, not what it is: left out, so spacing and comments do not change a fingerprint. */
const POSITION_KEYS: ReadonlySet<string> = new Set(['location', 'stmt_location', 'stmt_len']);

/**
 * The audit's fingerprint of statements the policy already parsed: the same for texts
 * that differ only in constants, spacing or comments, different when anything else
 * differs. It hashes the parse tree the policy walked, with every constant (A_Const)
 * replaced by one placeholder and every position left out, so a call is parsed once:
 * libpg-query's own fingerprint would parse the text a second time. 16 hex digits of
 * SHA-256; no constant's value can be read back from it.
 */
export function fingerprintStatements(statements: readonly unknown[]): string {
  const parts: string[] = [];
  write(parts, statements);
  return createHash('sha256').update(parts.join('')).digest('hex').slice(0, 16);
}

function write(parts: string[], node: unknown): void {
  if (Array.isArray(node)) {
    parts.push('[');
    for (const item of node) {
      write(parts, item);
      parts.push(',');
    }
    parts.push(']');
    return;
  }
  if (node !== null && typeof node === 'object') {
    parts.push('{');
    for (const [key, value] of Object.entries(node)) {
      if (POSITION_KEYS.has(key)) continue;
      parts.push(JSON.stringify(key), ':');
      if (key === 'A_Const') parts.push('?');
      else write(parts, value);
      parts.push(',');
    }
    parts.push('}');
    return;
  }
  parts.push(JSON.stringify(node) ?? 'null');
}
