import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ReadResult } from '../sources/source.js';
import { redactDeep } from '../log/redact.js';
import { fence } from './fence.js';
import { redactResult } from './redact-result.js';

/** Caps the compact text rendering; structuredContent always carries every returned row. */
const MAX_TEXT_ROWS = 200;
const MAX_CELL_CHARS = 80;

/** A query result as MCP structured content plus a compact text table for clients that read text. */
export function rowsResult(raw: ReadResult): CallToolResult {
  const result = redactResult(raw);
  const structured: Record<string, unknown> = {
    columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: result.rows,
    row_count: result.rows.length,
    truncated: result.truncated,
  };
  if (result.truncatedBy !== undefined) structured['truncated_by'] = result.truncatedBy;
  return { content: [{ type: 'text', text: fence(textTable(result)) }], structuredContent: structured };
}

function textTable(result: ReadResult): string {
  const header = result.columns.map((c) => c.name).join(' | ');
  const lines = [header];
  const shown = Math.min(result.rows.length, MAX_TEXT_ROWS);
  for (let i = 0; i < shown; i++) {
    const row = result.rows[i] ?? [];
    lines.push(row.map(cell).join(' | '));
  }
  let summary = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`;
  if (result.truncated) summary += `, truncated at the ${result.truncatedBy === 'bytes' ? 'byte' : 'row'} cap`;
  if (shown < result.rows.length) summary += `; text shows the first ${shown}, structuredContent has all`;
  lines.push(`(${summary})`);
  return lines.join('\n');
}

function cell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = 'NULL';
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value);
  text = text.replace(/[\r\n\t|]/g, ' ');
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
}

/** Plain JSON data as structured content with a JSON text rendering. */
export function jsonResult(raw: Record<string, unknown>): CallToolResult {
  const data = redactDeep(raw) as Record<string, unknown>;
  return { content: [{ type: 'text', text: fence(JSON.stringify(data)) }], structuredContent: data };
}
