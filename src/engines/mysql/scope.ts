import { BastionError } from '../../errors/codes.js';
import type { RelationRef, CheckedWrite } from '../../engine/policy.js';
import { isSystemDatabase } from './write-rules.js';

/**
 * The databases a MySQL source serves: the `schemas` setting when set, else the
 * database the URL names, else every non-system database. list_schemas,
 * list_tables and describe_table show only these, and a statement may name no
 * other: a database outside the scope is invisible, as a table a role may not read is.
 *
 * information_schema is outside a scope unless `schemas` lists it: its structural
 * tables name every database's tables and columns, which the scope hides.
 */
export class DatabaseScope {
  /** undefined: every non-system database (a URL that names none, and no `schemas`). */
  readonly served: readonly string[] | undefined;

  constructor(
    /** The URL's database: where unqualified names resolve. */
    readonly current: string | undefined,
    schemas: readonly string[] | undefined,
  ) {
    this.served = schemas ?? (current === undefined ? undefined : [current]);
  }

  /** Database names are compared as the server stores them (case-sensitive); information_schema in any case. */
  serves(database: string): boolean {
    if (this.served === undefined) return true;
    const wanted = database.toLowerCase() === 'information_schema' ? 'information_schema' : database;
    return this.served.some((name) => (name.toLowerCase() === 'information_schema' ? 'information_schema' : name) === wanted);
  }

  /** Throws unless every relation is in a served database (an unqualified one is in the URL's database). */
  checkRelations(relations: readonly RelationRef[]): void {
    for (const relation of relations) {
      const database = relation.schema ?? this.current;
      // No current database: MySQL itself refuses an unqualified name ("No database selected").
      if (database === undefined || this.serves(database)) continue;
      if (database.toLowerCase() === 'information_schema') {
        throw new BastionError(
          'DENIED_BY_POLICY',
          `information_schema is not available on this source (it lists databases the source does not serve); use list_tables and describe_table.`,
        );
      }
      const written = relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
      throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${written} is available to you.`);
    }
  }

  /** Every relation a write names or reads; the object a schema change creates is governed by writes.schemas. */
  checkWrite(checked: CheckedWrite): void {
    if (checked.tool === 'execute') {
      this.checkRelations([checked.target, ...checked.reads.relations]);
      return;
    }
    this.checkRelations([...(checked.table === undefined ? [] : [checked.table]), ...checked.reads.relations, ...checked.references]);
  }
}

/** `sources.NAME.schemas` must name application databases: a system one would expose credentials or server state. */
export function checkServedDatabases(source: string, schemas: readonly string[] | undefined): void {
  for (const name of schemas ?? []) {
    if (name.toLowerCase() !== 'information_schema' && isSystemDatabase(name)) {
      throw new BastionError('CONFIG_INVALID', `sources.${source}.schemas: ${name} is a system database and cannot be served; list application databases only.`);
    }
  }
}
