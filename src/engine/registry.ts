import { writeSchemasOf, type SourceConfig, type WritesConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import type { Catalog } from './catalog.js';
import type { Introspector } from './introspection.js';
import type { OpenEngine, ReadGuard } from './parts.js';
import type { Engine, Source } from './source.js';

/** Who may use which source: a role (authorize/roles.ts), as the registry sees it. */
export interface SourceFilter {
  source(name: string): boolean;
}

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
 * The configured sources, each opened by `open` (the engines' loader, src/engines/index.ts,
 * which imports an engine's folder only when a source of it is configured). The core
 * reaches every engine through this registry and the contract types, never an engine's own
 * modules.
 */
export class SourceRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, SourceEntry>) {}

  static async create(configs: Record<string, SourceConfig>, log: Logger, open: OpenEngine): Promise<SourceRegistry> {
    const entries = new Map<string, SourceEntry>();
    for (const [name, config] of Object.entries(configs)) {
      const parts = await open(name, config, log);
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
  private readonly visible = new WeakMap<SourceFilter, SourceEntry[]>();

  /** The sources, or only those a role may use. */
  list(role?: SourceFilter): SourceEntry[] {
    if (role === undefined) return [...this.entries.values()];
    let visible = this.visible.get(role);
    if (visible === undefined) {
      visible = [...this.entries.values()].filter((e) => role.source(e.name));
      this.visible.set(role, visible);
    }
    return visible;
  }

  /** What resolve() returns, or undefined where it would throw: a call resolves its source once, and fails in its turn. */
  pick(name: string | undefined, role?: SourceFilter): SourceEntry | undefined {
    const visible = this.list(role);
    if (name === undefined) return visible.length === 1 ? visible[0] : undefined;
    return visible.find((e) => e.name === name);
  }

  /**
   * The named source, or the only one the role may use when `name` is omitted.
   * A source the role may not use is reported exactly like one that does not exist.
   */
  resolve(name: string | undefined, role?: SourceFilter): SourceEntry {
    const entry = this.pick(name, role);
    if (entry !== undefined) return entry;
    const visible = this.list(role);
    if (name === undefined && visible.length > 1) {
      throw new BastionError('INVALID_ARGUMENT', `Several sources are available; name one with "source" (${visible.map((e) => e.name).join(', ')}).`);
    }
    throw new BastionError('SOURCE_NOT_FOUND');
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.source.close()));
  }
}
