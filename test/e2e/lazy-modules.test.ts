/**
 * Heavy modules load only when the configuration needs them: the built binary, run with a
 * loader hook that records every module it loads, never loads libpg-query for a SQLite
 * source alone, never loads `pg` for an embedded PGlite source alone, and loads no file
 * tool without files.roots, and no OpenTelemetry module while telemetry is off. Each run also shows what it does load, so a hook that saw
 * nothing cannot pass for a lazy load.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeTempDir, REPO_ROOT, startStdio } from '../helpers/spawn.js';

afterAll(async () => cleanup());

const REGISTER_HOOKS = pathToFileURL(join(REPO_ROOT, 'test', 'fixtures', 'module-log', 'register.mjs')).href;

const LIBPG_QUERY = /\/node_modules\/libpg-query\//;
const PG_DRIVER = /\/node_modules\/pg\//;
/** The file tools and the operations behind them (denied-names.js is also `bastion doctor`'s list of protected names). */
const FILE_TOOL_MODULES = /\/dist\/files\/(tools|list|read|search|walk|path-policy)\.js$/;
const OPENTELEMETRY = /\/node_modules\/@opentelemetry\/|\/dist\/telemetry\/(tracer|parent|meter|export-failures)\.js$/;

/** Serves `args` over stdio, calls list_sources, query `sql` and the tool list, stops; returns every module URL loaded. */
async function modulesLoaded(args: string[], sql: string, env: Record<string, string> = {}): Promise<{ urls: string[]; tools: string[] }> {
  const cwd = makeTempDir();
  const log = join(cwd, 'modules.log');
  writeFileSync(log, '');
  const server = await startStdio(args, { cwd, env: { NODE_OPTIONS: `--import=${REGISTER_HOOKS}`, MODULE_LOG: log, ...env } });
  let tools: string[];
  try {
    tools = (await server.client.listTools()).tools.map((t) => t.name);
    expect((await server.client.callTool({ name: 'list_sources', arguments: {} }) as CallToolResult).isError).toBeFalsy();
    const result = (await server.client.callTool({ name: 'query', arguments: { sql } })) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  } finally {
    await server.close();
  }
  return { urls: readFileSync(log, 'utf8').split('\n').filter((line) => line.length > 0), tools };
}

function sqliteFile(): string {
  const file = join(makeTempDir(), 'shop.db');
  const db = new Database(file);
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a');");
  db.close();
  return file;
}

describe('heavy modules load only when configured (built binary)', () => {
  it('a SQLite source alone loads neither libpg-query, nor pg, nor a file tool, nor OpenTelemetry', async () => {
    const { urls, tools } = await modulesLoaded(['--db', `sqlite:${sqliteFile()}`], 'SELECT name FROM items');
    expect(urls.some((url) => url.endsWith('/dist/engines/sqlite/index.js'))).toBe(true);
    expect(urls.filter((url) => LIBPG_QUERY.test(url) || url.includes('/dist/engines/postgres-family/'))).toEqual([]);
    expect(urls.filter((url) => PG_DRIVER.test(url))).toEqual([]);
    expect(urls.filter((url) => FILE_TOOL_MODULES.test(url))).toEqual([]);
    expect(urls.filter((url) => OPENTELEMETRY.test(url))).toEqual([]);
    expect(tools).not.toContain('read_file');
  }, 60_000);

  it('OTEL_EXPORTER_OTLP_ENDPOINT loads the tracer, the meter and the one exporter of each that its protocol names', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const { urls } = await modulesLoaded(['--db', `sqlite:${sqliteFile()}`], 'SELECT name FROM items', env);
    expect(urls.some((url) => url.endsWith('/dist/telemetry/tracer.js'))).toBe(true);
    expect(urls.some((url) => url.includes('/node_modules/@opentelemetry/sdk-trace-base/'))).toBe(true);
    expect(urls.some((url) => url.includes('/node_modules/@opentelemetry/exporter-trace-otlp-http/'))).toBe(true);
    expect(urls.filter((url) => url.includes('/node_modules/@opentelemetry/exporter-trace-otlp-proto/'))).toEqual([]);
    expect(urls.some((url) => url.endsWith('/dist/telemetry/meter.js'))).toBe(true);
    expect(urls.some((url) => url.includes('/node_modules/@opentelemetry/sdk-metrics/'))).toBe(true);
    expect(urls.some((url) => url.includes('/node_modules/@opentelemetry/exporter-metrics-otlp-http/'))).toBe(true);
    expect(urls.filter((url) => url.includes('/node_modules/@opentelemetry/exporter-metrics-otlp-proto/'))).toEqual([]);
  }, 60_000);

  it('OTEL_METRICS_EXPORTER=none: traces without the metrics SDK', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_METRICS_EXPORTER: 'none' };
    const { urls } = await modulesLoaded(['--db', `sqlite:${sqliteFile()}`], 'SELECT name FROM items', env);
    expect(urls.some((url) => url.endsWith('/dist/telemetry/tracer.js'))).toBe(true);
    expect(urls.filter((url) => url.endsWith('/dist/telemetry/meter.js') || url.includes('/node_modules/@opentelemetry/exporter-metrics-otlp-'))).toEqual([]);
  }, 60_000);

  it('an embedded PGlite source alone loads libpg-query but not the pg driver', async () => {
    const { urls } = await modulesLoaded(['--db', `pglite:${makeTempDir()}`], 'SELECT 1 AS one');
    expect(urls.some((url) => LIBPG_QUERY.test(url))).toBe(true);
    expect(urls.some((url) => url.endsWith('/dist/engines/pglite/index.js'))).toBe(true);
    expect(urls.filter((url) => PG_DRIVER.test(url) || url.includes('/dist/engines/postgres/'))).toEqual([]);
    expect(urls.filter((url) => FILE_TOOL_MODULES.test(url))).toEqual([]);
  }, 90_000);

  it('files.roots loads the file tools', async () => {
    const { urls, tools } = await modulesLoaded(['--db', `sqlite:${sqliteFile()}`, '--files', makeTempDir()], 'SELECT name FROM items');
    expect(urls.some((url) => url.endsWith('/dist/files/tools.js'))).toBe(true);
    expect(tools).toEqual(expect.arrayContaining(['list_files', 'read_file', 'search_files']));
  }, 60_000);
});
