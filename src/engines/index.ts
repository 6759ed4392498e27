import type { BastionConfig } from '../config/schema.js';
import type { OpenEngine } from '../engine/parts.js';
import type { SqlPolicy } from './postgres-family/policy/policy.js';

/**
 * The engines' loader. Each engine folder is imported only when a source of that
 * engine is configured: a MySQL- or SQLite-only deployment never loads pg, PGlite or
 * libpg-query's WASM, and the demo never loads pg. The PostgreSQL-family sources of one
 * process share one SQL policy (and its verdict cache), built on first use.
 */
export function engineOpener(sql: BastionConfig['sql']): OpenEngine {
  let policy: Promise<SqlPolicy> | undefined;
  const familyPolicy = (): Promise<SqlPolicy> =>
    (policy ??= import('./postgres-family/policy/policy.js').then(({ SqlPolicy }) => SqlPolicy.create({ extraFunctions: sql.allow_functions })));
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
