import { redactDeep, redactText } from '../log/redact.js';
import type { ReadResult } from '../engine/source.js';

/**
 * The one redactor applied to what a client sees: every string value and column
 * name of a result passes through it, so a credential stored in the data does not
 * reach the model (or the transcript it is kept in).
 */
export function redactResult(result: ReadResult): ReadResult {
  let changed = false;
  const rows = result.rows.map((row) =>
    row.map((cell) => {
      if (cell === null || typeof cell === 'number' || typeof cell === 'boolean') return cell;
      const clean = typeof cell === 'string' ? redactText(cell) : redactDeep(cell);
      if (clean !== cell) changed = true;
      return clean;
    }),
  );
  const columns = result.columns.map((c) => {
    const name = redactText(c.name);
    if (name === c.name) return c;
    changed = true;
    return { ...c, name };
  });
  return changed ? { ...result, rows, columns } : result;
}
