import { writeSchemasOf, type SourceConfig, type WritesConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { RelationCatalog } from '../engines/postgres-family/catalog.js';
import type { Role } from '../authorize/roles.js';
import type { SqlPolicy } from '../engines/postgres-family/policy/policy.js';
import type { Catalog, EngineParts, Introspector, ReadGuard } from './parts.js';
import { PostgresIntrospector } from '../engines/postgres-family/introspect.js';
import type { Engine, Source } from './source.js';

export interface SourceEntry {
  readonly name: string;
  readonly engine: Engine;
  /** `read-write` when governed writes are enabled: still dry run first and a human's approval. */
  readonly mode: 'read-only' | 'read-write';
  readonly writes: WritesConfig;
  readonly source: Source;
  /** The engine's SQL policy: the first of the two layers. */
  readonly guard: ReadGuard;
  readonly introspector: Introspector;
  /** Name resolution as the database sees it, for the authorize stage. */
  readonly catalog: Catalog;
}

/**
 * Builds the configured sources. Each driver module is imported only when a
 * source of its engine is configured, so the demo never loads pg and a
 * PostgreSQL deployment never loads PGlite.
 */
export class SourceRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, SourceEntry>) {}

  static async create(configs: Record<string, SourceConfig>, log: Logger, policy: SqlPolicy): Promise<SourceRegistry> {
    const entries = new Map<string, SourceEntry>();
    for (const [name, config] of Object.entries(configs)) {
      const parts = await openEngine(name, config, log, policy);
      entries.set(name, {
        name,
        engine: parts.source.engine,
        mode: config.writes.enabled ? 'read-write' : 'read-only',
        writes: { ...config.writes, schemas: writeSchemasOf(config) },
        ...parts,
      });
    }
    return new SourceRegistry(entries);
  }

  /** A configured source by name, whoever asks (for the audit of a call that named it). */
  get(name: string): SourceEntry | undefined {
    return this.entries.get(name);
  }

  /** Per role, the sources it may use: roles are compiled once, so this is computed once. */
  private readonly visible = new WeakMap<Role, SourceEntry[]>();

  /** The sources, or only those a role may use. */
  list(role?: Role): SourceEntry[] {
    if (role === undefined) return [...this.entries.values()];
    let visible = this.visible.get(role);
    if (visible === undefined) {
      visible = [...this.entries.values()].filter((e) => role.source(e.name));
      this.visible.set(role, visible);
    }
    return visible;
  }

  /**
   * The named source, or the only one the role may use when `name` is omitted.
   * A source the role may not use is reported exactly like one that does not exist.
   */
  resolve(name: string | undefined, role?: Role): SourceEntry {
    const visible = this.list(role);
    if (name === undefined) {
      if (visible.length === 1) return visible[0] as SourceEntry;
      if (visible.length === 0) throw new BastionError('SOURCE_NOT_FOUND');
      throw new BastionError('INVALID_ARGUMENT', `Several sources are available; name one with "source" (${visible.map((e) => e.name).join(', ')}).`);
    }
    const entry = visible.find((e) => e.name === name);
    if (entry === undefined) throw new BastionError('SOURCE_NOT_FOUND');
    return entry;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.source.close()));
  }
}

async function openEngine(name: string, config: SourceConfig, log: Logger, policy: SqlPolicy): Promise<EngineParts> {
  switch (config.engine) {
    case 'postgres': {
      const { PostgresSource } = await import('../engines/postgres/source.js');
      const source = new PostgresSource(name, config, log);
      void source.checkPrivileges();
      return postgresFamily(source, policy);
    }
    case 'pglite': {
      const { PgliteSource } = await import('../engines/pglite/source.js');
      const source = new PgliteSource(name, config, log);
      source.warm();
      return postgresFamily(source, policy);
    }
    case 'sqlite': {
      const { openSqliteEngine } = await import('../engines/sqlite/index.js');
      return openSqliteEngine(name, config, log);
    }
    case 'mysql': {
      const { openMysqlEngine } = await import('../engines/mysql/index.js');
      return openMysqlEngine(name, config, log);
    }
  }
}

/** PostgreSQL and PGlite: the libpg-query policy, pg_catalog name resolution and introspection. */
function postgresFamily(source: Source, policy: SqlPolicy): EngineParts {
  const read: Source['read'] = (request) => source.read(request);
  return {
    source,
    guard: {
      checkRead: (sql, tool) => policy.checkReadOnlyStatement(sql, tool),
      fingerprint: (sql) => policy.fingerprint(sql),
      checkWrite: (sql, tool, options) => policy.checkWriteStatement(sql, tool, options),
    },
    catalog: new RelationCatalog(read),
    introspector: new PostgresIntrospector(read),
  };
}
