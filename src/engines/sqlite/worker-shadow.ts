// Column security by construction inside the SQLite worker process: connections on which
// TEMP views shadow the tables a role has column rules on. Only node built-ins at run time.
import { hashMask, maskDomain } from '../../engine/mask-hash.js';
import type { WorkerShadows } from './worker-protocol.js';
import type { Database } from './worker-rows.js';

/** The mask functions the views call. Not on the function allow-list: no statement can call them by name. */
const PARTIAL = 'bastion_mask_partial';
const HASH = 'bastion_mask_hash';

/** Rule sets kept open at once; the oldest connection is closed past this. */
const MAX_CONNECTIONS = 8;

const connections = new Map<string, Database>();

/**
 * The connection for one set of rules: SQLite resolves an unqualified table name in `temp`
 * before `main`, so a TEMP view named like each protected table, reading `main.<table>` with
 * denied columns left out and masked ones computed, is what every unqualified reference in
 * the statement reads (the guard turns `main.<table>` into `temp.<table>`, see
 * guard.ts `protect`). Each rule set has its own connection, so roles never see each
 * other's views, and the plain connection of roles without rules never has one.
 */
export async function shadowConnection(open: () => Promise<Database>, shadows: WorkerShadows): Promise<Database> {
  const key = signature(shadows);
  const found = connections.get(key);
  if (found !== undefined) {
    // Most recently used last.
    connections.delete(key);
    connections.set(key, found);
    return found;
  }
  const database = await open();
  try {
    defineShadows(database, shadows);
  } catch (error) {
    database.close();
    throw error;
  }
  if (connections.size >= MAX_CONNECTIONS) {
    const [oldestKey, oldest] = connections.entries().next().value ?? [];
    if (oldestKey !== undefined) connections.delete(oldestKey);
    oldest?.close();
  }
  connections.set(key, database);
  return database;
}

function signature(shadows: WorkerShadows): string {
  return JSON.stringify([shadows.relations, shadows.views ?? [], Buffer.from(shadows.hashKey).toString('hex')]);
}

/**
 * The TEMP views, made while the connection still allows writes to `temp` (the file itself
 * is opened read-only); query_only is switched on before any statement of a client runs.
 * A column the rules do not list (added since the catalog was read) is left out.
 */
function defineShadows(database: Database, shadows: WorkerShadows): void {
  const key = Buffer.from(shadows.hashKey);
  database.function(PARTIAL, { deterministic: true, safeIntegers: true }, (value: unknown) => maskValue(value, 'partial', key));
  database.function(HASH, { deterministic: true, safeIntegers: true }, (value: unknown, domain: unknown) => maskValue(value, 'hash', key, Buffer.from(String(domain), 'hex')));
  for (const relation of shadows.relations) {
    const treatments = new Map(relation.columns.map((c) => [c.name, c.treatment]));
    const columns = database.prepare('SELECT name FROM pragma_table_info(?, ?) ORDER BY cid').pluck().all(relation.name, 'main') as string[];
    const items: string[] = [];
    for (const column of columns) {
      const treatment = treatments.get(column.toLowerCase()) ?? 'deny';
      const ref = quote(column);
      if (treatment === 'deny') continue;
      if (treatment === 'keep') items.push(ref);
      else if (treatment === 'null') items.push(`NULL AS ${ref}`);
      else if (treatment === 'hash') items.push(`${HASH}(${ref}, '${maskDomain('main', relation.name, column.toLowerCase()).toString('hex')}') AS ${ref}`);
      else items.push(`${PARTIAL}(${ref}) AS ${ref}`);
    }
    // A table whose every column is denied still exists for the role, with no readable value.
    if (items.length === 0) items.push('NULL AS "?column?"');
    // An index that includes a denied or masked column would return rows in the order of its
    // real values (a covering scan for `SELECT id`): such a table is read without indexes.
    const hidden = indexesOn(database, relation.name).some((names) => names.some((name) => (treatments.get(name.toLowerCase()) ?? 'deny') !== 'keep'));
    database.exec(`CREATE TEMP VIEW ${quote(relation.name)} AS SELECT ${items.join(', ')} FROM main.${quote(relation.name)}${hidden ? ' NOT INDEXED' : ''}`);
  }
  // Views a rule names: their own definitions, whose unqualified names now find the shadows first.
  for (const view of shadows.views ?? []) database.exec(view.sql);
  database.pragma('query_only = ON');
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The masks of src/shape/mask.ts, on the value as the worker returns it (worker-rows.ts
 * toValue), so a value masked here and one masked on the way out are the same text.
 */
export function maskValue(value: unknown, kind: 'partial' | 'hash', key: Buffer, domain: Uint8Array = Buffer.alloc(0)): string | null {
  if (value === null || value === undefined) return null;
  const shown = asReturned(value);
  const text = typeof shown === 'string' ? shown : JSON.stringify(shown);
  if (kind === 'hash') return hashMask(text, key, domain);
  const at = text.indexOf('@');
  if (at > 0) return `${text[0] ?? ''}***${text.slice(at)}`;
  return text.length <= 1 ? '***' : `${text[0] ?? ''}***`;
}

function asReturned(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return value;
}

/** The column names of each index of a table (an expression column has none: counted as hidden). */
function indexesOn(database: Database, table: string): string[][] {
  const indexes = database.prepare('SELECT name FROM pragma_index_list(?, ?)').pluck().all(table, 'main') as string[];
  return indexes.map((index) => (database.prepare('SELECT name FROM pragma_index_xinfo(?, ?) WHERE key = 1').pluck().all(index, 'main') as (string | null)[]).map((name) => name ?? '?expression'));
}
