import { fingerprintSync, loadModule, parseSync, type ParseResult } from 'libpg-query';

let ready: Promise<void> | undefined;

/** Loads PostgreSQL's parser (WASM) once; later calls return the same promise. */
export function loadParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

/** Parses with PostgreSQL's own grammar. Call loadParser() first. Throws on a syntax error. */
export function parseSql(sql: string): ParseResult {
  return parseSync(sql);
}

/**
 * libpg-query's fingerprint: the same for statements that differ only in constants,
 * spacing or comments, so the audit can group calls without keeping their values.
 * Undefined when the text does not parse.
 */
export function fingerprintSql(sql: string): string | undefined {
  try {
    return fingerprintSync(sql);
  } catch {
    return undefined;
  }
}
