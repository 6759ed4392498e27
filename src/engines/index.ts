import type { BastionConfig, SourceConfig } from '../config/schema.js';
import type { LoginPowers } from '../engine/login.js';
import type { OpenEngine } from '../engine/parts.js';
import type { SqlPolicy } from './postgres-family/index.js';

/**
 * Checks the engines' own settings at start, whichever sources are configured: a
 * `sql.allow_functions` entry that can never be allowed stops the start (CONFIG_INVALID)
 * even before a PostgreSQL-family source is added. Loads the family's module only when
 * that list is set (it needs no parser).
 */
export async function checkEngineSettings(sql: BastionConfig['sql']): Promise<void> {
  if (sql.allow_functions.length === 0) return;
  (await import('./postgres-family/index.js')).extraFunctionsOf(sql.allow_functions);
}

/**
 * The engines' loader. Each engine folder is imported only when a source of that
 * engine is configured: a MySQL- or SQLite-only deployment never loads pg, PGlite or
 * libpg-query's WASM, and the demo never loads pg. The PostgreSQL-family sources of one
 * process share one SQL policy (and its verdict cache), built on first use.
 */
export function engineOpener(sql: BastionConfig['sql']): OpenEngine {
  let policy: Promise<SqlPolicy> | undefined;
  const familyPolicy = (): Promise<SqlPolicy> =>
    (policy ??= import('./postgres-family/index.js').then(({ createSqlPolicy }) => createSqlPolicy({ extraFunctions: sql.allow_functions })));
  return async (name, config, log) => {
    switch (config.engine) {
      case 'postgres':
        return (await import('./postgres/index.js')).openPostgresEngine(name, config, log, await familyPolicy());
      case 'pglite':
        return (await import('./pglite/index.js')).openPgliteEngine(name, config, log, await familyPolicy());
      case 'sqlite':
        return (await import('./sqlite/index.js')).openSqliteEngine(name, config, log);
      case 'mysql':
        return (await import('./mysql/index.js')).openMysqlEngine(name, config, log);
    }
  };
}

/**
 * What a server source's login could do (doctor's `database-role`): undefined when the
 * server cannot be reached or asked. Embedded engines (PGlite, SQLite) have no logins.
 */
export async function probeLogin(config: SourceConfig): Promise<LoginPowers | undefined> {
  switch (config.engine) {
    case 'postgres':
      return (await import('./postgres/index.js')).probePostgresLogin(config);
    case 'mysql':
      return (await import('./mysql/index.js')).probeMysqlLogin(config);
    default:
      return undefined;
  }
}
