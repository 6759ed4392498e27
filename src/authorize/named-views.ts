import { BastionError } from '../errors/codes.js';
import type { Catalog } from '../engine/catalog.js';
import type { InlinedView } from '../engine/protection.js';
import type { Role } from './roles.js';
import { relationRules } from './family.js';
import { protectedViewReads, readsGuardedColumn } from './views.js';

/** Views inside views deeper than this are refused rather than followed. */
const MAX_DEPTH = 16;

/**
 * A view a rule names exactly is the configuration's choice of what the role may read,
 * even over a table it may not; it never lifts a column rule. Where the engine rebuilds
 * statements (Catalog.viewDefinition), such a view whose data is protected for the role is
 * read as its own query: `views` gets its definition, and every view inside it that is
 * protected too, and `protect` is called for each table they read — so the statement's
 * rewrite replaces those tables like its own (a masked column stays masked, a denied one
 * does not exist, and a view that needs it fails). A view whose definition the catalog
 * cannot see through (code that is not built in) cannot be read so, and is refused. Where
 * the engine cannot read a view as its definition (or does not rebuild statements), a named
 * view over columns with rules is refused instead (refuseOverColumnRules).
 */
export async function inlineNamedView(
  role: Role,
  catalog: Catalog,
  schema: string,
  name: string,
  views: Map<string, InlinedView>,
  protect: (schema: string, name: string) => Promise<void>,
  canInline = true,
  depth = 0,
): Promise<void> {
  const key = `${schema}\u0000${name}`;
  if (views.has(key)) return;
  if (catalog.viewDefinition === undefined || !canInline) {
    await refuseOverColumnRules(role, catalog, schema, name, depth);
    return;
  }
  const reads = await protectedViewReads(role, catalog, schema, name);
  if (reads === undefined) return;
  if (depth >= MAX_DEPTH || reads.some((read) => read.schema === schema && read.name === name)) throw opaque(schema, name);
  const definition = await catalog.viewDefinition(schema, name);
  if (definition === undefined) throw opaque(schema, name);
  views.set(key, { schema, name, definition });
  for (const read of reads) {
    if ((await catalog.viewReads(read.schema, read.name)) === undefined) await protect(read.schema, read.name);
    else await inlineNamedView(role, catalog, read.schema, read.name, views, protect, canInline, depth + 1);
  }
}

/**
 * Where the engine cannot read a view as its definition (MySQL), a view a rule names that
 * reads a column the role has denied or masked — directly or through other views — is
 * refused rather than read unmasked. One over tables the role may not read, without column
 * rules, is the configuration's choice and stays readable.
 */
async function refuseOverColumnRules(role: Role, catalog: Catalog, schema: string, name: string, depth: number): Promise<void> {
  if (!role.hasColumnRules) return;
  const reads = await catalog.viewReads(schema, name);
  if (reads === undefined) return;
  if (depth >= MAX_DEPTH) throw opaque(schema, name);
  for (const read of reads) {
    if (read.schema === schema && read.name === name) throw opaque(schema, name);
    if ((await catalog.viewReads(read.schema, read.name)) !== undefined) {
      await refuseOverColumnRules(role, catalog, read.schema, read.name, depth + 1);
      continue;
    }
    if (await readsGuardedColumn(catalog, read, await relationRules(role, catalog, read.schema, read.name))) {
      throw new BastionError(
        'SQL_FEATURE_DENIED',
        `The view ${schema}.${name} reads columns your role's rules deny or mask, and on this engine it cannot be read under those rules.`,
      );
    }
  }
}

function opaque(schema: string, name: string): BastionError {
  return new BastionError(
    'SQL_FEATURE_DENIED',
    `The view ${schema}.${name} reads data your role's column rules protect, through code Bastion cannot see into; it cannot be read under those rules.`,
  );
}
