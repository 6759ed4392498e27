import type { SourceConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Catalog } from './catalog.js';
import type { Introspector } from './introspection.js';
import type { CheckedDml, CheckedStatement, CheckedWrite, ReadTool, WritePolicyOptions, WriteTool } from './policy.js';
import type { ProtectedStatement, ProtectedWrite, ReadProtection, WriteProtection } from './protection.js';
import type { Source } from './source.js';

/**
 * What an engine brings besides its Source: the first layer of SQL safety (its own
 * parser's policy), the name resolution the authorize stage uses, and the catalog
 * reads behind list_* and describe_table. PostgreSQL and PGlite share one set; each
 * other engine has its own.
 */
export interface ReadGuard {
  /** Throws a BastionError unless `sql` is exactly one statement this tool may run. */
  checkRead(sql: string, tool: ReadTool): CheckedStatement;
  /**
   * The statement's fingerprint for the audit, where the engine's parser gives one, for a
   * call whose statement the policy did not accept (refused, or never reached). A statement
   * it accepted carries its own (Fingerprinted), so the audit never fingerprints it again.
   */
  fingerprint?(sql: string): string | undefined;
  /**
   * The write policy of `execute` and `change_schema` on this engine's parser:
   * throws a BastionError unless `sql` is exactly one statement `tool` allows.
   * Absent on an engine without governed writes (the config refuses writes.enabled there).
   */
  checkWrite?(sql: string, tool: WriteTool, options: WritePolicyOptions): CheckedWrite;
  /**
   * Column security by construction: the statement to run for a role with rules, in which
   * every reference to a protected relation is replaced, on the parse tree, by a relation
   * that omits its denied columns and computes its masked ones, and every other relation is
   * qualified with the schema `protection.resolved` gives. It runs with names pinned
   * (ReadRequest.pinnedNames). `hashKey` keys the `hash` mask; it travels as a parameter.
   * An engine with this method needs no name-based column checks; one without it keeps them.
   */
  protect?(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement;
  /**
   * `protect` keeps the indexes that read a protected column out of the plan by their names
   * (ProtectedRelation.indexes), which the authorize stage then lists: an engine with no
   * switch for the whole statement (MySQL).
   */
  readonly hidesIndexesByName?: boolean;
  /**
   * The same for a write (execute): every relation it reads other than its target rebuilt as
   * `protect` does; the target itself kept, and refused where the statement sets, reads or
   * returns one of its protected columns as it is — RETURNING computes masked columns by
   * their mask and leaves denied ones out. The dry run's sample and before-read likewise.
   * Runs with names pinned (WriteRequest.pinnedNames). An engine without it refuses writes
   * to a table with protected columns and checks what a write reads by name.
   */
  protectWrite?(checked: CheckedDml, protection: WriteProtection, hashKey: Uint8Array): ProtectedWrite;
}

export interface EngineParts {
  readonly source: Source;
  readonly guard: ReadGuard;
  readonly catalog: Catalog;
  readonly introspector: Introspector;
}

/** Opens one configured source with its engine's parts (src/engines/index.ts imports the engine by name). */
export type OpenEngine = (name: string, config: SourceConfig, log: Logger) => Promise<EngineParts>;
