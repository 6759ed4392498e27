/**
 * An Error as a plain object for a log record. A database or network error's
 * stack only shows driver internals, so it is kept only for our own bugs.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  const expected = typeof code === 'string' || (err as { severity?: unknown }).severity !== undefined;
  if (err.stack && !expected) out['stack'] = err.stack;
  return out;
}
