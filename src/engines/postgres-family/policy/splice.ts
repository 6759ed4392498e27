import { scanSync } from 'libpg-query';
import { QuoteUtils, deparseSync } from 'pgsql-deparser';
import type { TextEdit } from './relation-rewriter.js';

interface Token {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies the rewrite's edits to the statement's own text, found through PostgreSQL's
 * scanner: a schema inserted before a relation name, a protected relation's name (with its
 * ONLY) replaced by its subquery, a schema dropped from `schema.table.column`. Everything
 * else stays exactly as written, so no deparser can change what the rest means. Offsets
 * are bytes of UTF-8, as the parser gives them. Undefined when an edit has no place in the
 * text it can be made at with certainty (the caller then deparses the whole tree).
 */
export function spliceEdits(sql: string, edits: readonly TextEdit[]): string | undefined {
  if (edits.some((edit) => edit.kind === 'unsplicable')) return undefined;
  const bytes = Buffer.from(sql, 'utf8');
  const tokens = scanSync(sql).tokens as Token[];
  const index = new Map(tokens.map((token, i) => [token.start, i]));
  const changes: { start: number; end: number; text: string }[] = [];
  for (const edit of edits) {
    if (edit.kind === 'unsplicable') return undefined;
    const i = index.get(edit.at);
    if (i === undefined) return undefined;
    const change = changeFor(edit, tokens, i);
    if (change === undefined) return undefined;
    changes.push(change);
  }
  changes.sort((a, b) => b.start - a.start);
  let text = bytes;
  let limit = Infinity;
  for (const change of changes) {
    // Overlapping edits cannot both be made on the text.
    if (change.end > limit) return undefined;
    text = Buffer.concat([text.subarray(0, change.start), Buffer.from(change.text, 'utf8'), text.subarray(change.end)]);
    limit = change.start;
  }
  return text.toString('utf8');
}

function changeFor(edit: Exclude<TextEdit, { kind: 'unsplicable' }>, tokens: readonly Token[], i: number): { start: number; end: number; text: string } | undefined {
  const first = tokens[i];
  if (first === undefined) return undefined;
  switch (edit.kind) {
    case 'qualify':
      return { start: first.start, end: first.start, text: `${QuoteUtils.quoteIdentifier(edit.schema)}.` };
    case 'drop-schema': {
      const next = tokens[i + 2];
      if (tokens[i + 1]?.text !== '.' || next === undefined) return undefined;
      return { start: first.start, end: next.start, text: '' };
    }
    case 'replace': {
      let last = i;
      while (tokens[last + 1]?.text === '.' && tokens[last + 2] !== undefined) last += 2;
      let start = first.start;
      let end = tokens[last]?.end ?? first.end;
      if (edit.only) {
        // `ONLY name` or `ONLY (name)`: ONLY moves inside the subquery with the table.
        const before = tokens[i - 1];
        const parenthesized = before?.text === '(' && tokens[last + 1]?.text === ')';
        const only = parenthesized ? tokens[i - 2] : before;
        if (only?.text.toUpperCase() !== 'ONLY') return undefined;
        start = only.start;
        if (parenthesized) end = tokens[last + 1]?.end ?? end;
      } else if (tokens[last + 1]?.text === '*') {
        // `name *`: the old spelling of "with its descendants", which the subquery keeps.
        end = tokens[last + 1]?.end ?? end;
      }
      const subquery = subqueryText(edit.subquery);
      const alias = edit.alias === undefined ? '' : ` AS ${QuoteUtils.quoteIdentifier(edit.alias)}`;
      return { start, end, text: `(${subquery})${alias}` };
    }
  }
}

/** Subquery texts by their tree: a protected table's replacement is the same for every statement of a role. */
const subqueries = new Map<string, string>();
const SUBQUERY_CACHE_SIZE = 500;

function subqueryText(subquery: Record<string, unknown>): string {
  const key = JSON.stringify(subquery);
  let text = subqueries.get(key);
  if (text === undefined) {
    text = deparseSync(subquery, { pretty: false });
    if (subqueries.size >= SUBQUERY_CACHE_SIZE) subqueries.clear();
    subqueries.set(key, text);
  }
  return text;
}
