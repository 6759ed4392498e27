import type { ViewRead } from '../../engine/catalog.js';
import { NEVER_ALLOWED_FUNCTIONS } from './policy/function-allowlist.js';
import { DENIED_SYSTEM_RELATIONS } from './policy/nodes.js';
import { parseSql } from './policy/parse.js';

/**
 * Every overload of a function, with what it takes to know what its body reads: its
 * language, its source (a plain SQL body), whether the body is SQL-standard (BEGIN ATOMIC:
 * PostgreSQL records its dependencies), its own settings (a search_path of its own changes
 * what its names resolve to), and for an atomic body, the relations it depends on, whether
 * it depends on a function, operator or type that is not built in, and its text. Asked with
 * the search path pinned (ReadRequest.pinnedNames), so the text names everything outside
 * pg_catalog with its schema.
 */
export const FUNCTION_SOURCES = `
SELECT l.lanname, p.prosrc, p.prosqlbody IS NOT NULL AS atomic, p.proconfig IS NOT NULL AS configured,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(rn.nspname, rc.relname))
        FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
          AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass) AS relations,
       EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend d
         LEFT JOIN pg_catalog.pg_proc f ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND f.oid = d.refobjid
         LEFT JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
         LEFT JOIN pg_catalog.pg_proc op ON op.oid = o.oprcode
         LEFT JOIN pg_catalog.pg_type t ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = d.refobjid
         JOIN pg_catalog.pg_namespace fn ON fn.oid = COALESCE(f.pronamespace, op.pronamespace, o.oprnamespace, t.typnamespace)
         WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
           AND fn.nspname NOT IN ('pg_catalog', 'information_schema')
       ) AS calls_user_code,
       CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) END AS sqlbody
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE n.nspname = $1 AND p.proname = $2`;

type Node = Record<string, unknown>;
type Resolve = (name: string) => Promise<string | undefined>;

/**
 * What a function the configuration allows reads, judged as a view's definition is
 * (Catalog.viewReads): the relations its body names, each read in whole. A body Bastion
 * cannot read through — another language than SQL, settings of its own, a call to a
 * function or operator that is not built in or that no statement may call, a type of a
 * schema of its own, a catalog no statement may read, SQL it cannot parse — lists the
 * function itself, which the authorize stage denies. No overload at all: undefined.
 */
export async function functionReadsOf(schema: string, name: string, rows: readonly (readonly unknown[])[], resolve: Resolve): Promise<ViewRead[] | undefined> {
  if (rows.length === 0) return undefined;
  const unreadable: ViewRead[] = [{ schema, name, columns: '*' }];
  const reads = new Map<string, ViewRead>();
  const add = (relation: { schema: string; name: string }): void => {
    reads.set(`${relation.schema}\u0000${relation.name}`, { ...relation, columns: '*' });
  };
  for (const [language, source, atomic, configured, relations, callsUserCode, sqlBody] of rows) {
    if (language !== 'sql' || configured === true || callsUserCode === true) return unreadable;
    if (atomic === true) {
      for (const pair of Array.isArray(relations) ? relations : []) {
        if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') {
          if (isSystem(pair[0]) && DENIED_SYSTEM_RELATIONS.has(pair[1])) return unreadable;
          add({ schema: pair[0], name: pair[1] });
        }
      }
    }
    // A plain body as written; an atomic one as PostgreSQL prints it: built-ins it calls (SQL
    // given as a string) record no dependency, so the text is read the same way.
    const text = atomic === true ? (typeof sqlBody === 'string' ? statementsOf(sqlBody) : undefined) : typeof source === 'string' ? source : undefined;
    const body = text === undefined ? undefined : bodyOf(text);
    if (body === undefined) return unreadable;
    for (const range of body.relations) {
      const where = range.schema ?? (await resolve(range.name));
      if (where === undefined) continue; // nothing of that name on the path: the call fails, it reads nothing
      if (isSystem(where) && DENIED_SYSTEM_RELATIONS.has(range.name)) return unreadable;
      add({ schema: where, name: range.name });
    }
    if (!body.readable) return unreadable;
  }
  return [...reads.values()];
}

/**
 * An atomic body as pg_get_function_sqlbody prints it — `BEGIN ATOMIC <statements>; END` or
 * `RETURN <expression>` — as statements the parser takes; undefined for any other shape.
 */
function statementsOf(body: string): string | undefined {
  const text = body.trim();
  const atomic = /^BEGIN\s+ATOMIC\b([\s\S]*)\bEND$/i.exec(text);
  if (atomic !== null) return atomic[1];
  const returned = /^RETURN\b([\s\S]*)$/i.exec(text);
  if (returned !== null) return `SELECT ${returned[1] ?? ''}`;
  return undefined;
}

const isSystem = (schema: string): boolean => schema === 'pg_catalog' || schema === 'information_schema';

/** The relations a plain SQL body names, and whether nothing in it escapes that list. */
function bodyOf(source: string): { relations: { schema: string | undefined; name: string }[]; readable: boolean } | undefined {
  let tree: { stmts?: { stmt?: unknown }[] };
  try {
    tree = parseSql(source);
  } catch {
    return undefined;
  }
  const relations: { schema: string | undefined; name: string }[] = [];
  let readable = true;
  const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '') : []);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Node)) {
      const node = child as Node;
      if (key === 'RangeVar') {
        relations.push({ schema: typeof node['schemaname'] === 'string' ? node['schemaname'] : undefined, name: typeof node['relname'] === 'string' ? node['relname'] : '' });
      } else if (key === 'FuncCall') {
        const parts = names(node['funcname']);
        const last = parts[parts.length - 1] ?? '';
        if ((parts.length > 1 && parts[0] !== 'pg_catalog') || NEVER_ALLOWED_FUNCTIONS.has(last)) readable = false;
      } else if (key === 'A_Expr') {
        const parts = names(node['name']);
        if (parts.length > 1 && parts[0] !== 'pg_catalog') readable = false;
      } else if (key === 'typeName' || key === 'TypeName') {
        const parts = names(node['names']);
        if (parts.length > 1 && parts[0] !== 'pg_catalog') readable = false;
      }
      visit(child);
    }
  };
  visit(tree.stmts ?? []);
  return { relations, readable };
}
