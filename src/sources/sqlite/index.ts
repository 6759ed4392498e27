import type { SqliteSourceConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import type { EngineParts } from '../adapter.js';
import type { Source } from '../source.js';
import { SqliteCatalog } from './catalog.js';
import { SqliteGuard, loadSqliteParser } from './guard.js';
import { SqliteIntrospector } from './introspect.js';
import { OriginIds } from '../origin-ids.js';
import { SqliteSource } from './source.js';

/**
 * A SQLite file as a read-only source. Nothing is opened here: the worker opens
 * the file on the first call, so a missing file does not stop the start — calls
 * fail with SOURCE_UNAVAILABLE until it exists.
 */
export async function openSqliteEngine(name: string, config: SqliteSourceConfig, log: Logger): Promise<EngineParts> {
  const origins = new OriginIds();
  const source = new SqliteSource(name, config, log, origins);
  const read: Source['read'] = (request) => source.read(request);
  return {
    source,
    guard: new SqliteGuard(await loadSqliteParser()),
    catalog: new SqliteCatalog(read, origins),
    introspector: new SqliteIntrospector(read),
  };
}

export { SqliteGuard } from './guard.js';
export { SqliteSource } from './source.js';
