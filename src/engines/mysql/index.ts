import type { MysqlSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import type { EngineParts } from '../../engine/parts.js';
import type { Source } from '../../engine/source.js';
import { MysqlCatalog } from './catalog.js';
import { MysqlGuard, type MysqlParser } from './guard.js';
import { MysqlIntrospector } from './introspect.js';
import { OriginIds } from '../../engine/origin-ids.js';
import { checkServedDatabases, DatabaseScope } from './scope.js';
import { MysqlSource } from './source.js';
import type { MysqlDriver } from './driver.js';
import { MysqlWriter } from './write.js';
import { isSystemDatabase } from './write-rules.js';

/**
 * A MySQL or MariaDB source, read-only unless writes.enabled (then governed writes
 * go through a write pool of their own, see write.ts). mysql2 and node-sql-parser are loaded here
 * only, so a deployment without a MySQL source never loads them. Nothing connects
 * yet: a server that is down at start makes calls fail with SOURCE_UNAVAILABLE
 * until it is back. Placeholders are `?` (MySQL's own), not `$1..$n`.
 */
export async function openMysqlEngine(name: string, config: MysqlSourceConfig, log: Logger): Promise<EngineParts> {
  const database = databaseOf(config.url);
  if (database !== undefined && isSystemDatabase(database)) {
    throw new BastionError('CONFIG_INVALID', `sources.${name}.url: connect to an application database, not ${database} (unqualified names would read system tables).`);
  }
  const [driverModule, parserModule] = await Promise.all([import('mysql2/promise'), import('node-sql-parser/build/mysql.js')]);
  const driver = (driverModule as unknown as { default: MysqlDriver }).default;
  const { Parser } = (parserModule as unknown as { default: { Parser: new () => MysqlParser } }).default;
  checkServedDatabases(name, config.schemas);
  const scope = new DatabaseScope(database, config.schemas);
  const origins = new OriginIds();
  const guard = new MysqlGuard(new Parser(), scope);
  const options = { prefix: config.writes.prefix, allowUnbounded: config.writes.allow_unbounded };
  // With writes enabled, a separate write pool; the engine re-reads each statement's plan from the guard.
  const writer = config.writes.enabled ? new MysqlWriter(name, config, log, driver, (sql, tool) => guard.planWrite(sql, tool, options)) : undefined;
  const source = new MysqlSource(name, config, log, driver, origins, writer);
  const read: Source['read'] = (request) => source.read(request);
  return {
    source,
    guard,
    catalog: new MysqlCatalog(read, origins),
    introspector: new MysqlIntrospector(read, scope),
  };
}

function databaseOf(url: string): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return path === '' ? undefined : path;
  } catch {
    throw new BastionError('CONFIG_INVALID', 'sources.*.url: not a valid mysql:// URL (mysql://user:password@host:3306/database).');
  }
}

export { dangerousMysqlGrant, probeMysqlLogin } from './login.js';
