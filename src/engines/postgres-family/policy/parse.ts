import { loadModule, normalizeSync, parseSync, type ParseResult } from 'libpg-query';

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
 * The text with each constant replaced by a $n parameter, numbered after the text's own
 * (libpg-query's normalize: PostgreSQL's grammar finds the constants). Throws where the text
 * does not parse.
 */
export function normalizeSql(sql: string): string {
  return normalizeSync(sql);
}
