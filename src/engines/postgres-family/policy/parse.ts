import { loadModule, parseSync, type ParseResult } from 'libpg-query';

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
