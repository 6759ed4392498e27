import type { ReadResult } from '../engine/source.js';

/** The caps one read ran with, for the sentence that says which one cut it and how to narrow it. */
export interface RowCaps {
  /** The row cap of this call: its max_rows, else limits.max_rows. */
  readonly maxRows: number;
  /** limits.max_rows: the most a caller may ask for with max_rows. */
  readonly rowCap: number;
  /** limits.max_bytes: the cap on the values read, in bytes of text. */
  readonly maxBytes: number;
}

export function readCaps(limits: { readonly max_rows: number; readonly max_bytes: number }, maxRows?: number): RowCaps {
  return { maxRows: Math.min(maxRows ?? limits.max_rows, limits.max_rows), rowCap: limits.max_rows, maxBytes: limits.max_bytes };
}

/**
 * The whole text answer (the fence, the rows and the closing sentence) may take at
 * most this many times the byte cap, counted in the UTF-8 bytes actually sent. The
 * values it renders are already within the cap (the engine counts them while
 * reading, in characters), and JSON quoting adds a few characters per value, so
 * ordinary data never reaches this; escape-heavy text (a control character or
 * U+2028 becomes six characters), multi-byte characters and astral ones can, and
 * then the last rows are dropped, flagged as a byte-cap cut, rather than sent.
 */
export const TEXT_BUDGET_FACTOR = 2;

/**
 * JSON lines (measured in the README: about the size the old table took, a little
 * more than CSV, and unlike either it keeps NULL, numbers, nested JSON and newlines
 * exact). Inside a JSON string, `<` before `untrusted-data` and the characters some
 * readers split lines on (U+2028, U+2029, U+0085) are escaped as well, so a value
 * can neither look like a fence marker nor end its row, and still parses back as
 * it was.
 */
const FRAMING = /<(?=\/?untrusted-data)|[\u2028\u2029\u0085]/gi;

export interface RowsText {
  readonly body: string;
  /** How many rows the text holds: all of them unless the text budget ran out. */
  readonly rows: number;
}

/**
 * The column names as a JSON array on the first line, then one JSON array per row,
 * as many rows as fit in `budgetBytes` of UTF-8, each measured as it is emitted
 * (escaped). The column line is always there.
 */
export function rowsText(result: ReadResult, budgetBytes: number): RowsText {
  const header = emitted(result.columns.map((c) => c.name));
  const lines = [header];
  let size = Buffer.byteLength(header, 'utf8');
  for (const row of result.rows) {
    const line = emitted(row);
    size += Buffer.byteLength(line, 'utf8') + 1;
    if (size > budgetBytes) break;
    lines.push(line);
  }
  return { body: lines.join('\n'), rows: lines.length - 1 };
}

/** One line as sent: JSON with the framing characters escaped (a line holds no line break, so escaping per line is escaping the whole). */
function emitted(value: unknown): string {
  return JSON.stringify(value).replace(FRAMING, escapeUnit);
}

function escapeUnit(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** What the rows are and, when a cap cut them, which cap and how to narrow the statement; plain text after the fence. */
export function truncationSentence(result: ReadResult, caps: RowCaps, tool: 'query' | 'explain' = 'query'): string {
  const n = result.rows.length;
  const head = `${count(n, 'row')} as JSON lines (the first line names the columns, each line after it is one row).`;
  if (!result.truncated) return head;
  if (tool === 'explain') {
    const cap = result.truncatedBy === 'bytes' ? `the byte cap of ${size(caps.maxBytes)}` : `the row cap of ${count(caps.maxRows, 'line')}`;
    return `${head} The plan was cut at ${cap}; explain a smaller part of the statement, or leave out VERBOSE.`;
  }
  const page = 'or page through it with ORDER BY and LIMIT/OFFSET';
  if (result.truncatedBy === 'bytes') {
    return (
      `${head} The result was cut after ${count(n, 'row')} at the byte cap of ${size(caps.maxBytes)} of values; ` +
      `select fewer or shorter columns (for example left(column, 200)), add a WHERE clause, ${page}.`
    );
  }
  const raise = caps.maxRows < caps.rowCap ? `raise max_rows (up to ${grouped(caps.rowCap)}), ` : '';
  const which = caps.maxRows < caps.rowCap ? `max_rows of ${grouped(caps.maxRows)}` : `row cap of ${grouped(caps.maxRows)}`;
  return `${head} The result was cut at the ${which} and more rows match; ${raise}add a WHERE clause or an aggregate, ${page}.`;
}

/**
 * 1234567 as "1,234,567": the sentence is built on every answer, and toLocaleString
 * goes through ICU (microseconds a call, a few calls per answer) for the same text.
 */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function count(n: number, noun: string): string {
  return `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function size(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${grouped(bytes)} bytes`;
}
