import type { SourceConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { PostgresIntrospector } from './postgres/introspect.js';
import type { Engine, Source } from './source.js';

export interface SourceEntry {
  readonly name: string;
  readonly engine: Engine;
  readonly mode: 'read-only';
  readonly source: Source;
  readonly introspector: PostgresIntrospector;
}

/**
 * Builds the configured sources. Each driver module is imported only when a
 * source of its engine is configured, so the demo never loads pg and a
 * PostgreSQL deployment never loads PGlite.
 */
export class SourceRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, SourceEntry>) {}

  static async create(configs: Record<string, SourceConfig>, log: Logger): Promise<SourceRegistry> {
    const entries = new Map<string, SourceEntry>();
    for (const [name, config] of Object.entries(configs)) {
      const source = await openSource(name, config, log);
      entries.set(name, {
        name,
        engine: source.engine,
        mode: source.mode,
        source,
        introspector: new PostgresIntrospector((request) => source.read(request)),
      });
    }
    return new SourceRegistry(entries);
  }

  list(): SourceEntry[] {
    return [...this.entries.values()];
  }

  /** The named source, or the only one when `name` is omitted. */
  resolve(name: string | undefined): SourceEntry {
    if (name === undefined) {
      if (this.entries.size === 1) return this.entries.values().next().value as SourceEntry;
      throw new BastionError('INVALID_ARGUMENT', `Several sources are configured; name one with "source" (${[...this.entries.keys()].join(', ')}).`);
    }
    const entry = this.entries.get(name);
    if (entry === undefined) throw new BastionError('SOURCE_NOT_FOUND');
    return entry;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.source.close()));
  }
}

async function openSource(name: string, config: SourceConfig, log: Logger): Promise<Source> {
  switch (config.engine) {
    case 'postgres': {
      const { PostgresSource } = await import('./postgres/source.js');
      const source = new PostgresSource(name, config, log);
      void source.checkPrivileges();
      return source;
    }
    case 'pglite': {
      const { PgliteSource } = await import('./pglite/source.js');
      const source = new PgliteSource(name, config, log);
      source.warm();
      return source;
    }
  }
}
