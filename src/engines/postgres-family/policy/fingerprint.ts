import { createHash } from 'node:crypto';

/**
 * Where a node was written, not what it is (`location`, `stmt_location`, `stmt_len`,
 * `rexpr_list_start`/`_end`): left out, so spacing and comments do not change a fingerprint.
 */
const isPosition = (key: string): boolean => key.endsWith('location') || key === 'stmt_len' || key.endsWith('_start') || key.endsWith('_end');
/** Values that stand for themselves: a constant, a parameter, or a cast of one. */
const VALUE_NODES: ReadonlySet<string> = new Set(['A_Const', 'ParamRef']);

/**
 * Literal values the parser keeps outside constant nodes, by the node that holds them: an
 * option's value (`PASSWORD '…'`, `WITH (fillfactor = 70)`, a `DO` body, a sequence's
 * `START`), a comment's text, a notification's payload, a COPY file's name. They are written
 * `?` like a constant: a secret in them (a role's password) must not be recoverable from the
 * audit by hashing guesses. The option's name, and everything else of the node, still counts.
 */
const VALUE_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['DefElem', new Set(['arg'])],
  ['CommentStmt', new Set(['comment'])],
  ['NotifyStmt', new Set(['payload'])],
  ['CopyStmt', new Set(['filename'])],
]);

/**
 * How each key of the parse tree is written: its JSON text and a comma after it, or
 * `undefined` for a position (left out). Parse trees use a few hundred distinct keys, so
 * this stays small; it spares a JSON.stringify and a position test per key per call.
 */
const keyTexts = new Map<string, string | undefined>();
function keyText(key: string): string | undefined {
  let text = keyTexts.get(key);
  if (text === undefined && !keyTexts.has(key)) {
    text = isPosition(key) ? undefined : `${JSON.stringify(key)}:`;
    if (keyTexts.size < 4096) keyTexts.set(key, text);
  }
  return text;
}

/**
 * The audit's fingerprint of statements the policy already parsed, so a call is parsed
 * once (libpg-query's own fingerprint parses the text a second time). Statements that
 * differ only in constants, parameter numbers, the length of a list of constants
 * (`IN (1, 2)` and `IN (1, 2, 3)`), the names given to output columns, spacing or comments
 * share one; anything else — tables, columns, functions, operators, clauses — makes
 * another. 16 hex digits of SHA-256 over the tree with those parts left out: no
 * constant's value can be read back from it. The text hashed is a canonical JSON-like
 * writing of the tree (keys in the parser's order, each followed by a comma), built in
 * one string: this runs on every call whose statement text is new.
 */
export function fingerprintStatements(statements: readonly unknown[]): string {
  return createHash('sha256').update(write(statements, false)).digest('hex').slice(0, 16);
}

function write(node: unknown, outputList: boolean): string {
  if (Array.isArray(node)) {
    if (node.length > 0 && node.every(isValue)) return '[?]';
    let out = '[';
    for (const item of node) out += `${write(item, outputList)},`;
    return `${out}]`;
  }
  if (node !== null && typeof node === 'object') {
    let out = '{';
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const text = keyText(key);
      if (text === undefined) continue;
      // An output column's name (SELECT a AS name) does not change what a SELECT reads.
      if (outputList && key === 'name') continue;
      const value = record[key];
      const valueFields = VALUE_FIELDS.get(key);
      if (VALUE_NODES.has(key)) out += `${text}?,`;
      else if (key === 'SelectStmt') out += `${text}${writeSelect(value)},`;
      else if (valueFields !== undefined) out += `${text}${writeMasked(value, valueFields)},`;
      else out += `${text}${write(value, outputList && key === 'ResTarget')},`;
    }
    return `${out}}`;
  }
  return JSON.stringify(node) ?? 'null';
}

/** A node whose `fields` hold literal values (VALUE_FIELDS): each present one is written `?`; the rest as usual. */
function writeMasked(node: unknown, fields: ReadonlySet<string>): string {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return write(node, false);
  let out = '{';
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const text = keyText(key);
    if (text === undefined) continue;
    out += fields.has(key) ? `${text}?,` : `${text}${write(record[key], false)},`;
  }
  return `${out}}`;
}

/** A SELECT's target list items are output columns: their names are left out; the rest as usual. */
function writeSelect(select: unknown): string {
  if (select === null || typeof select !== 'object') return write(select, false);
  let out = '{';
  const record = select as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const text = keyText(key);
    if (text === undefined) continue;
    out += `${text}${write(record[key], key === 'targetList')},`;
  }
  return `${out}}`;
}

function isValue(item: unknown): boolean {
  if (item === null || typeof item !== 'object') return false;
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    // Only the first key names the node.
    if (VALUE_NODES.has(key)) return true;
    return key === 'TypeCast' && isValue(((item as Record<string, unknown>)[key] as { arg?: unknown } | undefined)?.arg);
  }
  return false;
}
