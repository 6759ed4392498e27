import type { Catalog, RelationKin } from '../engine/catalog.js';
import type { MaskKind } from '../engine/protection.js';
import type { Role } from './roles.js';

/** What the role's rules make of one relation, once they have followed its data through table inheritance. */
export interface RelationRules {
  /** The role may read the relation: its own rules, its ancestors' and its descendants' allow it. */
  readonly allowed: boolean;
  readonly denied: (column: string) => boolean;
  readonly mask: (column: string) => MaskKind | undefined;
}

/** The mask that gives away least wins when relations of one family mask a column differently. */
const STRENGTH: Readonly<Record<MaskKind, number>> = { partial: 1, hash: 2, null: 3 };

const NO_KIN: RelationKin = { ancestors: [], descendants: [] };

/**
 * Rules follow data through table inheritance and partitions (PostgreSQL's pg_inherits),
 * both ways. A partition or inheritance child holds rows of its ancestors, so it carries
 * their table and column rules: a partition of a denied table is denied, a column denied
 * or masked on the parent is denied or masked on the child. A parent returns the rows of
 * its descendants, so it carries theirs: a parent with a denied partition or child is
 * denied, and a column denied or masked on any descendant is denied or masked when read
 * through the parent (columns of one family share their names). When several masks
 * apply, the strongest does (null, then hash, then partial); a denial beats any mask.
 * A child of several parents holds rows of each, so the rules of every ancestor of the
 * relation and of its descendants apply. A partition whose partition key (an ancestor's)
 * includes a denied or masked column is denied itself: which partition a row sits in tells
 * a range of that column's value (read the partitioned table instead). A table stored in the
 * order of a denied or masked column (a clustered key, Catalog.storageOrder) is denied too,
 * named by a rule or not: any scan of it returns rows in that column's order, and no plan or
 * rewrite takes that order away.
 * A relation that `tables.allow` names exactly is the configuration's explicit choice of
 * table, as for views: its family's table rules do not take it away, its column rules
 * still apply. Engines without inheritance (no Catalog.family) see the role's own rules.
 */
export async function relationRules(given: Role, catalog: Catalog, schema: string, name: string): Promise<RelationRules> {
  const role = columnNamesAsStored(given, catalog);
  const kin = catalog.family === undefined ? NO_KIN : await catalog.family(schema, name);
  const self = { schema, name };
  const family = [self, ...kin.ancestors, ...kin.descendants];
  const ownAllowed = role.tableAllowed(schema, name);
  const familyAllowed = family.every((relation) => role.tableAllowed(relation.schema, relation.name));
  const explicit = role.tableNamedExplicitly(schema, name);
  // The system catalogs describe every table, the denied ones too (names, sizes, statistics,
  // defaults, even stored values): a glob never reaches them, only an exact name does.
  if (!role.unrestricted && !explicit && catalog.isCatalogSchema?.(schema) === true) return UNREADABLE;
  const readable = ownAllowed && (explicit || familyAllowed);
  if (readable && role.hasColumnRules) {
    if (!explicit && family.length > 1 && (await partitionedByProtected(role, catalog, self, kin, family))) return UNREADABLE;
    if (kin.opaque === true && (await ancestorsRuled(role, catalog, kin))) return UNREADABLE;
    if (await storedByProtected(role, catalog, self, family)) return UNREADABLE;
  }
  const allowed = readable;
  // A generated column is computed from others of its row, perhaps from a protected one:
  // where the relation has a protected column, its generated columns are denied as well.
  const copies = readable && role.hasColumnRules ? await generatedBesideProtected(role, catalog, self, family) : NO_COLUMNS;
  if (family.length === 1) {
    return {
      allowed,
      denied: (column) => copies.has(column) || role.columnDenied(schema, name, column),
      mask: (column) => role.columnMask(schema, name, column),
    };
  }
  return {
    allowed,
    denied: (column) => copies.has(column) || family.some((relation) => role.columnDenied(relation.schema, relation.name, column)),
    mask: (column) => {
      let strongest: MaskKind | undefined;
      for (const relation of family) {
        const kind = role.columnMask(relation.schema, relation.name, column);
        if (kind !== undefined && (strongest === undefined || STRENGTH[kind] > STRENGTH[strongest])) strongest = kind;
      }
      return strongest;
    },
  };
}

/**
 * Where the engine compares column names without regard to case (MySQL, SQLite), a column
 * stored as `Salary` is the one a rule on `salary` names: the rules are matched with the
 * name as stored and in lower case (the case rules are written in, as SECURITY.md says).
 */
function columnNamesAsStored(role: Role, catalog: Catalog): Role {
  if (catalog.columnNamesIgnoreCase !== true) return role;
  return {
    ...role,
    columnDenied: (schema, table, column) => role.columnDenied(schema, table, column) || role.columnDenied(schema, table, column.toLowerCase()),
    columnMask: (schema, table, column) => role.columnMask(schema, table, column) ?? role.columnMask(schema, table, column.toLowerCase()),
  };
}

/** What a relation the role may not read at all answers. */
const UNREADABLE: RelationRules = { allowed: false, denied: () => true, mask: () => undefined };

type Named = { readonly schema: string; readonly name: string };

/**
 * A partition whose key (an ancestor's) is a protected column of its family: membership is a
 * range of its values.
 */
async function partitionedByProtected(role: Role, catalog: Catalog, self: Named, kin: RelationKin, family: readonly Named[]): Promise<boolean> {
  return keyIncludes(kin.partitionKeys ?? [], protectedIn(role, family), catalog, self);
}

/**
 * Whether a key's columns include one `isProtected` holds for; a key part on an expression
 * ('*') does not list its columns, so then any column of the relation counts.
 */
async function keyIncludes(key: readonly string[], isProtected: (column: string) => boolean, catalog: Catalog, self: Named): Promise<boolean> {
  if (key.length === 0) return false;
  if (!key.includes('*')) return key.some(isProtected);
  return (await catalog.columnOrigins(self.schema, self.name)).some((column) => isProtected(column.name));
}

const NO_COLUMNS: ReadonlySet<string> = new Set();

/** The generated columns of a relation that has a protected column (none otherwise). */
async function generatedBesideProtected(role: Role, catalog: Catalog, self: Named, family: readonly Named[]): Promise<ReadonlySet<string>> {
  const columns = await catalog.columnOrigins(self.schema, self.name);
  const generated = columns.filter((column) => column.generated === true);
  if (generated.length === 0) return NO_COLUMNS;
  const isProtected = protectedIn(role, family);
  if (!columns.some((column) => column.generated !== true && isProtected(column.name))) return NO_COLUMNS;
  return new Set(generated.map((column) => column.name));
}

/** Whether a column rule of the family denies or masks `column`. */
function protectedIn(role: Role, family: readonly Named[]): (column: string) => boolean {
  return (column) => family.some((relation) => role.columnDenied(relation.schema, relation.name, column) || role.columnMask(relation.schema, relation.name, column) !== undefined);
}

/** A table whose storage order (its clustered key, CLUSTER index or partition key) includes a protected column. */
async function storedByProtected(role: Role, catalog: Catalog, self: Named, family: readonly Named[]): Promise<boolean> {
  if (catalog.storageOrder === undefined) return false;
  return keyIncludes(await catalog.storageOrder(self.schema, self.name), protectedIn(role, family), catalog, self);
}

/** An opaque kin holds its ancestors' rows under other names: any column rule on them makes it unreadable. */
async function ancestorsRuled(role: Role, catalog: Catalog, kin: RelationKin): Promise<boolean> {
  for (const ancestor of kin.ancestors) {
    const ruled = protectedIn(role, [ancestor]);
    if ((await catalog.columnOrigins(ancestor.schema, ancestor.name)).some((column) => ruled(column.name))) return true;
  }
  return false;
}
