import type { DmlCommand } from '../engine/policy.js';
import { redactDeep, redactLines, redactText } from '../log/redact.js';
import { visibleLine, visibleTabbedLine } from '../shape/visible.js';
import type { Engine, ParamValue, WriteResult, WriteSample } from '../engine/source.js';

/**
 * What a person reads before approving a write (the elicitation prompt, `bastion
 * approvals show`, the pending answer): each bound parameter's value, what the dry run
 * did, and the rows it touched under a title that says which rows they are. Values are
 * JSON (a string quoted, NULL as null), so no value can pass for another column, row or
 * line; every value goes through the redactor once, on its own, and is shown indented
 * with its invisible characters escaped, so no value can stand where the "Dry run:"
 * line does. ./approval-view.ts puts the statement before it.
 */

/** A value longer than this is shown up to it, then a marker with how much is not shown. */
export const PREVIEW_VALUE_CHARS = 2_000;
/** Rows stop being added once the preview is this long; a line says how many were left out. */
export const PREVIEW_MAX_CHARS = 256 * 1024;

export interface PreviewInput {
  readonly engine: Engine;
  /** undefined for a schema change. */
  readonly command: DmlCommand | undefined;
  /** The statement carries its own RETURNING: the rows shown are what it returns. */
  readonly ownReturning: boolean;
  /** UPDATE: the columns it sets; the others identify a row before and after. */
  readonly setColumns?: readonly string[] | undefined;
  readonly params: readonly ParamValue[];
  readonly result: WriteResult;
}

export function previewText(input: PreviewInput): string {
  const { result, command } = input;
  const lines: string[] = [];
  if (input.params.length > 0) {
    lines.push('Parameters (bound to the placeholders, in order):');
    input.params.forEach((value, i) => lines.push(`  ${placeholder(input.engine, i + 1)} = ${shown(value)}`));
  }
  if (result.validatedOnly === true) lines.push('Dry run: the statement was validated, not run.');
  else if (command === undefined) lines.push('Dry run: the schema change ran in a transaction that was rolled back.');
  else {
    const more = (result.changedInAll ?? result.affected) - result.affected;
    const also = more > 0 ? ` Its cascades and triggers would change ${count(more)} more, in this or other tables.` : '';
    lines.push(`Dry run: ${count(result.affected)} would be ${VERB[command]}.${also}`);
  }
  if (result.notice !== undefined) lines.push(result.notice);
  const sample = result.sample;
  if (sample !== undefined && sample.rows.length > 0) {
    const before = command === 'update' && !input.ownReturning ? result.before : undefined;
    const paired = before !== undefined && input.setColumns !== undefined ? pairRows(before, sample, input.setColumns) : undefined;
    if (paired !== undefined) rowsBeforeAfter(lines, paired, result.affected);
    else rowList(lines, `${rowsTitle(command, input.ownReturning)} (first ${sample.rows.length} of ${result.affected})`, sample);
  }
  if (result.definition !== undefined) {
    // The database's text, which may quote what the statement wrote: redacted, and indented like a value.
    lines.push('Resulting definition:', ...redactLines(result.definition).map((line) => `  ${visibleTabbedLine(line)}`));
  }
  return lines.join('\n');
}

const VERB: Record<DmlCommand, string> = {
  insert: 'inserted',
  update: 'updated',
  delete: 'deleted',
  merge: 'inserted, updated or deleted',
};

function rowsTitle(command: DmlCommand | undefined, ownReturning: boolean): string {
  const returned = ownReturning ? ", as the statement's RETURNING gives them" : '';
  switch (command) {
    case 'insert':
      return `Rows to be inserted${returned}`;
    case 'delete':
      return `Rows to be deleted${returned}`;
    case 'update':
      return `Rows as they would be after the update${returned}; their values before are not shown`;
    default:
      return `Rows as the change returns them (inserted and updated rows as after, deleted rows as before)${returned}`;
  }
}

function rowList(lines: string[], title: string, sample: WriteSample): void {
  lines.push(`${title}:`, `  columns: ${shown(sample.columns.map((c) => c.name))}`);
  let size = lines.reduce((sum, line) => sum + line.length + 1, 0);
  for (const [i, row] of sample.rows.entries()) {
    const line = `  ${shown(row)}`;
    size += line.length + 1;
    if (size > PREVIEW_MAX_CHARS) {
      lines.push(`  [${count(sample.rows.length - i)} more not shown: the preview is capped at ${PREVIEW_MAX_CHARS / 1024} KiB]`);
      return;
    }
    lines.push(line);
  }
}

export interface PairedRows {
  readonly columns: readonly string[];
  readonly pairs: readonly (readonly [before: readonly unknown[], after: readonly unknown[]])[];
}

function rowsBeforeAfter(lines: string[], paired: PairedRows, affected: number): void {
  lines.push(`Rows before → after the update (first ${paired.pairs.length} of ${affected}):`, `  columns: ${shown(paired.columns)}`);
  let size = lines.reduce((sum, line) => sum + line.length + 1, 0);
  for (const [i, [before, after]] of paired.pairs.entries()) {
    const pair = [`  before: ${shown(before)}`, `  after:  ${shown(after)}`];
    size += pair[0]!.length + pair[1]!.length + 2;
    if (size > PREVIEW_MAX_CHARS) {
      lines.push(`  [${count(paired.pairs.length - i)} more not shown: the preview is capped at ${PREVIEW_MAX_CHARS / 1024} KiB]`);
      return;
    }
    lines.push(...pair);
  }
}

/**
 * Each row after the update with the row it was, matched on the columns the UPDATE
 * does not set (compared case-folded, so a doubt leaves a column out). Undefined
 * unless every row shown matches exactly one row before: a pairing is never guessed
 * (a trigger that changes another column, or rows alike in every column not set,
 * leave the after-rows shown on their own).
 */
export function pairRows(before: WriteSample, after: WriteSample, setColumns: readonly string[]): PairedRows | undefined {
  const names = after.columns.map((c) => c.name);
  if (before.columns.length !== names.length || before.columns.some((c, i) => c.name !== names[i])) return undefined;
  const set = new Set(setColumns.map((c) => c.toLowerCase()));
  const identity = names.flatMap((name, i) => (set.has(name.toLowerCase()) ? [] : [i]));
  if (identity.length === 0) return undefined;
  const key = (row: readonly unknown[]): string => JSON.stringify(identity.map((i) => row[i] ?? null));
  const byKey = new Map<string, (readonly unknown[])[]>();
  for (const row of before.rows) byKey.set(key(row), [...(byKey.get(key(row)) ?? []), row]);
  const pairs: (readonly [readonly unknown[], readonly unknown[]])[] = [];
  const used = new Set<readonly unknown[]>();
  for (const row of after.rows) {
    const matches = byKey.get(key(row));
    const match = matches?.length === 1 ? matches[0] : undefined;
    if (match === undefined || used.has(match)) return undefined;
    used.add(match);
    pairs.push([match, row]);
  }
  return { columns: names, pairs };
}

function placeholder(engine: Engine, n: number): string {
  return engine === 'postgres' || engine === 'pglite' ? `$${n}` : `?${n}`;
}

function count(n: number): string {
  return `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
}

/**
 * One value as redacted JSON on one line (U+2028, NEL, bidi overrides and the like
 * escaped, as JSON allows); past PREVIEW_VALUE_CHARS it is cut with a marker saying
 * how much is left out.
 */
function shown(value: unknown): string {
  const text = JSON.stringify(redactDeep(value, 0, redactText)) ?? 'null';
  if (text.length <= PREVIEW_VALUE_CHARS) return visibleLine(text);
  return `${visibleLine(text.slice(0, PREVIEW_VALUE_CHARS))}… [${(text.length - PREVIEW_VALUE_CHARS).toLocaleString('en-US')} more characters not shown]`;
}
