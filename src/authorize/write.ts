import type { WritesConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { RelationRef, CheckedDdl, CheckedDml, CheckedWrite } from '../engine/policy.js';
import type { Catalog } from '../engine/catalog.js';
import type { ProtectedColumn, WriteProtection } from '../engine/protection.js';
import type { DescribeTarget } from '../engine/source.js';
import type { Role } from './roles.js';
import { authorizeRead, type ReadAuthorization } from './statement.js';
import { refuseForeignKeyAnswers, refuseIndexOrderedReads, refuseUniqueKeyAnswers } from './write-answers.js';
import { relationRules, type RelationRules } from './family.js';
import { readsProtectedIndex } from './index-order.js';
import { protectedViewReads, readsProtected } from './views.js';

export interface ResolvedRelation {
  readonly schema: string;
  readonly name: string;
}

/** A write the caller's role may make, with its target as the database resolves it (for the executor and the audit). */
export interface AuthorizedWrite {
  /** The relation written, or the object the schema change acts on (an index: the index). */
  readonly target: ResolvedRelation;
  /** CREATE INDEX: the table the index is on. */
  readonly table?: ResolvedRelation;
  /** A schema change: the object as it stands after the change, for a dry run to describe; none after DROP. */
  readonly describe?: DescribeTarget;
  /** execute by construction, for a role with rules: what the engine needs to rebuild the write (ReadGuard.protectWrite). */
  readonly protection?: WriteProtection;
  /** execute by name into a table with protected columns: the dry run shows no rows, only the count. */
  readonly withoutSample?: boolean;
}

export interface WriteAuthorizeOptions {
  /**
   * The engine rebuilds a write for the role (ReadGuard.protectWrite): what it reads from
   * other tables is replaced like a read's, and its target is checked and its RETURNING
   * masked on the parse tree. The name-based checks and the refusal of every write to a
   * table with protected columns are then not needed.
   */
  readonly byConstruction?: boolean;
}

/**
 * The authorize stage for `execute` and `change_schema`, after the write policy.
 *
 * By construction (options.byConstruction, the PostgreSQL family): everything an
 * `execute` reads is authorized like a read, and the engine rebuilds it so a denied
 * column does not exist and a masked one is its mask (a masked value read from another
 * table may then be stored: the role sees it anyway). The target may have protected
 * columns; the engine refuses a statement that sets, reads or returns one of them as
 * it is, and computes masked ones in RETURNING and the preview.
 *
 * Otherwise (MySQL, SQLite) everything the statement reads is authorized like a read
 * with one difference: a masked column is refused wherever it appears, because a write
 * would carry its real value into a table. A table with columns the role may not see in
 * full may be written when the engine says which columns the statement assigns and none
 * is protected; its own columns then count as read by name (a protected one, `*` or the
 * whole row refused), and the dry run shows the count without rows.
 *
 * A schema change reads by name, a masked column counting as denied, and may not read a
 * table with protected columns at all (a view or a copy of it could rename them).
 * It must land in one of `writes.schemas`, resolved as the database would: a qualified
 * name by its schema, an unqualified CREATE in the connection's creation schema, an
 * existing object through the search path.
 */
export async function authorizeWrite(role: Role, checked: CheckedWrite, catalog: Catalog, writes: WritesConfig, options: WriteAuthorizeOptions = {}): Promise<AuthorizedWrite> {
  return checked.tool === 'execute' ? authorizeDml(role, checked, catalog, options) : authorizeDdl(role, checked, catalog, writes);
}

async function authorizeDml(role: Role, checked: CheckedDml, catalog: Catalog, options: WriteAuthorizeOptions): Promise<AuthorizedWrite> {
  const { target } = checked;
  const schema = target.schema ?? (await catalog.resolve(target.name));
  if (schema === undefined) throw invisible(written(target));
  if (isSystemSchema(schema, catalog)) throw systemSchema(schema, target.name);
  // The role's rules as they follow rows through inheritance and partitions (family.ts).
  const rules = await relationRules(role, catalog, schema, target.name);
  if (!rules.allowed) throw invisible(written(target));
  // A view over data the role may not see is invisible to its writes too (RETURNING, the preview).
  if (await readsProtected(role, catalog, schema, target.name)) throw invisible(written(target));
  // One a rule names is read through the rules (named-views.ts), but a write into it would reach
  // the table's real values (its WHERE, RETURNING, preview): naming never lifts a column rule.
  if (!role.unrestricted && (await protectedViewReads(role, catalog, schema, target.name)) !== undefined) {
    throw new BastionError('DENIED_BY_POLICY', `Writes through the view ${schema}.${target.name} are not allowed for your role: it reads data your role's rules protect.`);
  }
  if (!role.unrestricted) {
    await refuseForeignKeyAnswers(role, catalog, schema, target.name);
    await refuseUniqueKeyAnswers(role, catalog, checked, schema, target.name);
  }
  const columns = role.hasColumnRules ? await targetColumns(rules, catalog, schema, target.name) : undefined;
  if (options.byConstruction === true) {
    if (role.unrestricted) return { target: { schema, name: target.name } };
    const reads = await authorizeRead(role, { sql: checked.sql, tool: 'query', ...checked.reads }, catalog, { byConstruction: true });
    // The rows it changes are found, and returned, in the order of the scan of the target too.
    const indexedProtected = reads.protection.indexedProtected === true || (await readsProtectedIndex(role, catalog, [{ schema, name: target.name }]));
    const protection: WriteProtection = { ...reads.protection, target: { schema, name: target.name, columns }, ...(indexedProtected ? { indexedProtected } : {}) };
    return { target: { schema, name: target.name }, protection };
  }
  const guarded = columns?.find((column) => column.treatment !== 'keep');
  if (guarded !== undefined) checkAssigned(checked, schema, columns ?? [], guarded);
  // The target's own columns count as read by name too: naming a protected one, its `*` or its whole row is refused.
  const withTarget = guarded === undefined ? checked : { ...checked, reads: { ...checked.reads, relations: [{ ...target, schema }, ...checked.reads.relations] } };
  const { protection } = await authorizeReads(role, withTarget, catalog);
  await refuseIndexOrderedReads(protection.relations, { schema, name: target.name }, catalog);
  // Its rows as RETURNING * gives them would show the protected columns: no sample rows then.
  return { target: { schema, name: target.name }, ...(guarded === undefined ? {} : { withoutSample: true }) };
}

/**
 * By name, for an engine that cannot rebuild a write: a write to a table with protected
 * columns must say which columns it assigns, and none may be protected.
 */
function checkAssigned(checked: CheckedDml, schema: string, columns: readonly ProtectedColumn[], guarded: ProtectedColumn): void {
  const label = `${schema}.${checked.target.name}`;
  if (checked.assigns === undefined || checked.hasReturning) {
    throw new BastionError(
      'DENIED_BY_POLICY',
      `Writes to ${label} are not allowed for your role: its column ${guarded.name} is ${guarded.treatment === 'deny' ? 'denied' : 'masked'} for you, and a write or its preview could reach it.`,
    );
  }
  const assigned = checked.assigns === 'all' ? columns.map((c) => c.name) : checked.assigns;
  for (const name of assigned) {
    const column = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (column !== undefined && column.treatment !== 'keep') {
      const how = checked.assigns === 'all' ? ' (an INSERT without a column list sets every column)' : '';
      throw new BastionError('DENIED_BY_POLICY', `The column ${label}.${column.name} is ${column.treatment === 'deny' ? 'denied' : 'masked'} for your role: a write may not set it${how}.`);
    }
  }
}

/** Every column of the target with what the role's rules make of it; undefined when no rule touches it. */
async function targetColumns(rules: RelationRules, catalog: Catalog, schema: string, name: string): Promise<ProtectedColumn[] | undefined> {
  const columns = (await catalog.columnOrigins(schema, name)).map((column): ProtectedColumn => ({
    name: column.name,
    treatment: rules.denied(column.name) ? 'deny' : (rules.mask(column.name) ?? 'keep'),
  }));
  return columns.some((column) => column.treatment !== 'keep') ? columns : undefined;
}

async function authorizeDdl(role: Role, checked: CheckedDdl, catalog: Catalog, writes: WritesConfig): Promise<AuthorizedWrite> {
  const { object } = checked;
  let table: ResolvedRelation | undefined;
  let schema: string;
  if (checked.kind === 'create_index') {
    table = await existingRelation(checked.table ?? object, catalog);
    requireWritableSchema(table.schema, writes, catalog);
    if (!role.tableAllowed(table.schema, table.name)) throw invisible(written(checked.table ?? object));
    // An index is created in the schema of its table.
    schema = table.schema;
  } else if (checked.kind.startsWith('create_')) {
    const creation = object.schema ?? (await catalog.creationSchema());
    if (creation === undefined) throw new BastionError('WRITE_NOT_ALLOWED', `There is no schema to create ${object.name} in; qualify the name with one of: ${writes.schemas.join(', ')}.`);
    schema = creation;
  } else {
    schema = (await existingRelation(object, catalog)).schema;
  }
  requireWritableSchema(schema, writes, catalog);
  const isRelation = object.type !== 'index';
  if (isRelation && !role.tableAllowed(schema, object.name)) {
    if (checked.kind.startsWith('create_')) throw new BastionError('WRITE_NOT_ALLOWED', `Your role may not use ${schema}.${object.name}.`);
    throw invisible(written(object));
  }
  if (isRelation && !checked.kind.startsWith('create_') && (await readsProtected(role, catalog, schema, object.name))) throw invisible(written(object));
  const renamed = checked.kind === 'rename' && checked.column === undefined && checked.constraint === undefined ? checked.newName : undefined;
  if (renamed !== undefined && isRelation && !role.tableAllowed(schema, renamed)) {
    throw new BastionError('WRITE_NOT_ALLOWED', `Your role may not use ${schema}.${renamed}.`);
  }
  if (checked.newSchema !== undefined) {
    requireWritableSchema(checked.newSchema, writes, catalog);
    if (!role.tableAllowed(checked.newSchema, object.name)) throw new BastionError('WRITE_NOT_ALLOWED', `Your role may not use ${checked.newSchema}.${object.name}.`);
  }
  for (const reference of checked.references) {
    // CREATE TABLE t (parent int REFERENCES t): the table itself, which does not exist yet.
    const itself = checked.kind === 'create_table' && reference.name === object.name && (reference.schema ?? schema) === schema;
    if (itself) continue;
    const referenced = await existingRelation(reference, catalog);
    requireWritableSchema(referenced.schema, writes, catalog);
    if (!role.tableAllowed(referenced.schema, referenced.name)) throw invisible(written(reference));
  }
  const protectedRead = (await authorizeReads(role, checked, catalog)).protection.relations[0];
  if (protectedRead !== undefined) {
    throw new BastionError(
      'DENIED_BY_POLICY',
      `A schema change may not read ${protectedRead.schema}.${protectedRead.name}: it has columns you may not see in full, and a view or a copy could rename them.`,
    );
  }
  const describe: DescribeTarget | undefined =
    checked.kind === 'drop' ? undefined : { schema: checked.newSchema ?? schema, name: renamed ?? object.name, type: object.type };
  return { target: { schema, name: object.name }, table, describe };
}

/** What the statement reads, authorized like a read with every masked column treated as denied. */
async function authorizeReads(role: Role, checked: CheckedWrite, catalog: Catalog): Promise<ReadAuthorization> {
  const strict: Role = {
    ...role,
    columnDenied: (schema, table, column) => role.columnDenied(schema, table, column) || role.columnMask(schema, table, column) !== undefined,
    columnMask: () => undefined,
  };
  try {
    // authorizeRead looks only at what the statement reads; `tool` does not enter into it.
    return await authorizeRead(strict, { sql: checked.sql, tool: 'query', ...checked.reads }, catalog);
  } catch (error) {
    if (error instanceof BastionError && error.code === 'DENIED_BY_POLICY' && role.hasColumnRules) {
      throw new BastionError('DENIED_BY_POLICY', `${error.message} In a write, a masked column counts as denied: its real value would be stored.`);
    }
    throw error;
  }
}

/** An existing relation (or index) by the name written: a qualified name as is, else the search path's first match, fresh. */
async function existingRelation(relation: Pick<RelationRef, 'schema' | 'name'>, catalog: Catalog): Promise<ResolvedRelation> {
  const schema = relation.schema ?? (await catalog.locate(relation.name));
  if (schema === undefined) throw invisible(written(relation));
  return { schema, name: relation.name };
}

function requireWritableSchema(schema: string, writes: WritesConfig, catalog: Catalog): void {
  if (isSystemSchema(schema, catalog)) throw systemSchema(schema);
  if (!writes.schemas.includes(schema)) {
    throw new BastionError('WRITE_NOT_ALLOWED', `Schema changes are allowed in ${writes.schemas.join(', ')} only, not in ${schema}.`);
  }
}

/**
 * The engine's system schemas, as the catalog knows them; PostgreSQL's by default:
 * pg_catalog, pg_toast, pg_temp_N ... and information_schema (the guard refuses
 * them as written; this is the resolved name).
 */
function isSystemSchema(schema: string, catalog: Catalog): boolean {
  if (catalog.isSystemSchema !== undefined) return catalog.isSystemSchema(schema);
  return schema.startsWith('pg_') || schema === 'information_schema';
}

function written(relation: Pick<RelationRef, 'schema' | 'name'>): string {
  return relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
}

/** Same answer for a denied table and a missing one, as for reads: a denied table is invisible. */
function invisible(name: string): BastionError {
  return new BastionError('TABLE_NOT_FOUND', `No table or view named ${name} is available to you.`);
}

function systemSchema(schema: string, name?: string): BastionError {
  return new BastionError('WRITE_NOT_ALLOWED', `${name === undefined ? schema : `${schema}.${name}`} is in a system schema; system catalogs are never changed.`);
}
