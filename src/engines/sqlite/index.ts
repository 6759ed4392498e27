import type { SqliteSourceConfig } from '../../config/schema.js';
import type { WriteTool } from '../../engine/policy.js';
import type { Logger } from '../../log/logger.js';
import type { EngineParts } from '../../engine/parts.js';
import type { Source } from '../../engine/source.js';
import { SqliteCatalog } from './catalog.js';
import { SqliteGuard } from './guard.js';
import { loadSqliteParser } from './parser.js';
import { SqliteIntrospector } from './introspect.js';
import { OriginIds } from '../../engine/origin-ids.js';
import { SqliteSource } from './source.js';

/**
 * A SQLite file as a source, read-only unless writes.enabled (then governed writes
 * use a second, writable connection in the same worker). Nothing is opened here: the worker opens
 * the file on the first call, so a missing file does not stop the start — calls
 * fail with SOURCE_UNAVAILABLE until it exists.
 */
export async function openSqliteEngine(name: string, config: SqliteSourceConfig, log: Logger): Promise<EngineParts> {
  const origins = new OriginIds();
  const guard = new SqliteGuard(await loadSqliteParser());
  const options = { prefix: config.writes.prefix, allowUnbounded: config.writes.allow_unbounded };
  // With writes enabled the engine re-plans each write itself; without, the source has no write path at all.
  const planWrite = config.writes.enabled ? (sql: string, tool: WriteTool) => guard.planWrite(sql, tool, options) : undefined;
  const source = new SqliteSource(name, config, log, origins, planWrite);
  const read: Source['read'] = (request) => source.read(request);
  return {
    source,
    guard,
    catalog: new SqliteCatalog(read, origins),
    introspector: new SqliteIntrospector(read),
  };
}

export { SqliteGuard } from './guard.js';
export { SqliteSource } from './source.js';
