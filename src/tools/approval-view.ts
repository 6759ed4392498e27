import { redactLines } from '../log/redact.js';
import { visibleTabbedLine } from '../shape/visible.js';
import { previewText, type PreviewInput } from './write-preview.js';

/** How the view starts: `bastion approvals show` prints a view as it is, an older summary with its statement. */
export const STATEMENT_HEADING = 'Statement (';

/**
 * Everything a person reads before approving a write, the same text in the MCP
 * elicitation prompt, the pending answer and `bastion approvals show`: the statement,
 * every line of it numbered, then each bound value, what the dry run did and the
 * rows it touched (./write-preview.ts).
 *
 * Built from pieces each redacted once, never by redacting the assembled text: a
 * value cannot reach across into the lines after it. The statement's line count is
 * taken from the statement that will run, and every one of its lines is shown, so a
 * redaction can hide a secret but never a line. Only the view's own lines (the
 * headings, "Dry run: …") start at the left margin; every line that comes from the
 * statement or a value is indented and holds no character that could start a line.
 */
export function approvalView(sql: string, preview: PreviewInput): string {
  return `${statementView(sql)}\n${previewText(preview)}`;
}

export function statementView(sql: string): string {
  const count = sql.split('\n').length;
  const lines = redactLines(sql);
  if (lines.length !== count) throw new Error('statementView: a statement line would not be shown');
  const width = String(count).length;
  const heading = `${STATEMENT_HEADING}${count} line${count === 1 ? '' : 's'}, each as it will run, numbered; secrets redacted):`;
  return [heading, ...lines.map((line, i) => `  ${String(i + 1).padStart(width)} | ${visibleTabbedLine(line)}`)].join('\n');
}

/** Why a presented approval_id runs nothing, in words for the assistant. */
export function approvalRefusal(reason: string): string {
  switch (reason) {
    case 'PENDING':
      return 'That approval is still pending: a person has not approved it yet. Nothing was changed.';
    case 'DENIED':
      return 'A person denied that change. Nothing was changed.';
    case 'EXPIRED':
      return 'That approval expired. Nothing was changed; ask again with dry_run: false to get a new one.';
    case 'USED':
      return 'That approval was already used; each approval runs one change once. Nothing was changed.';
    default:
      return 'That approval does not match this call (principal, source, statement and parameters must be exactly those approved). Nothing was changed.';
  }
}
