import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ReadResult } from '../engine/source.js';
import { redactDeep } from '../log/redact.js';
import { fence, FENCE_BYTES } from './fence.js';
import { redactResult } from './redact-result.js';
import { rowsText, TEXT_BUDGET_FACTOR, truncationSentence, type RowCaps } from './rows-text.js';

export { readCaps, type RowCaps } from './rows-text.js';

/**
 * A query result as MCP structured content plus the same rows as text, for the many
 * clients that show the model only the text: every row and every full value the caps
 * let through, as JSON lines inside the untrusted-data fence, then one plain sentence
 * with the row count and, when a cap cut the result, how to narrow it.
 */
export function rowsResult(raw: ReadResult, caps: RowCaps, tool: 'query' | 'explain' = 'query'): CallToolResult {
  const redacted = redactResult(raw);
  const text = rowsText(redacted, rowsBudget(redacted, caps, tool));
  // Text that would outgrow its budget (escape-heavy or multi-byte values) drops its last rows from both renderings alike.
  const result: ReadResult = text.rows === redacted.rows.length ? redacted : { ...redacted, rows: redacted.rows.slice(0, text.rows), truncated: true, truncatedBy: 'bytes' };
  const structured: Record<string, unknown> = {
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: result.rows,
    row_count: result.rows.length,
    truncated: result.truncated,
  };
  if (result.truncatedBy !== undefined) structured['truncated_by'] = result.truncatedBy;
  const closing = truncationSentence(result, caps, tool);
  return { content: [{ type: 'text', text: `${fence(text.body)}\n${closing}` }], structuredContent: structured };
}

/**
 * What the rows may take of TEXT_BUDGET_FACTOR × max_bytes once the fence and the
 * closing sentence are counted: the sentence at its longest (a byte cut, every row
 * kept), so the whole text stays within the budget whichever sentence it ends with.
 */
function rowsBudget(result: ReadResult, caps: RowCaps, tool: 'query' | 'explain'): number {
  const longest = Math.max(
    Buffer.byteLength(truncationSentence(result, caps, tool), 'utf8'),
    Buffer.byteLength(truncationSentence({ ...result, truncated: true, truncatedBy: 'bytes' }, caps, tool), 'utf8'),
  );
  const frame = FENCE_BYTES + 1;
  return caps.maxBytes * TEXT_BUDGET_FACTOR - frame - longest;
}

/**
 * Plain JSON data as structured content with a JSON text rendering. `redacted` holds
 * fields their maker already redacted piece by piece (an approval's view): they are
 * added as they are, since a second pass over assembled text is what lets a value
 * reach into the text after it.
 */
export function jsonResult(raw: Record<string, unknown>, redacted: Record<string, string> = {}): CallToolResult {
  const data = { ...(redactDeep(raw) as Record<string, unknown>), ...redacted };
  return { content: [{ type: 'text', text: fence(JSON.stringify(data)) }], structuredContent: data };
}
