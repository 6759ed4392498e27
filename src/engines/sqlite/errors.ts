import { BastionError } from '../../errors/codes.js';
import { redactText } from '../../log/redact.js';
import { withoutQuotedValues } from '../../util/quoted-values.js';
import type { WriteRequest } from '../../engine/source.js';
import type { WorkerResponse } from './worker-protocol.js';

/** A failed answer of the SQLite worker (worker-protocol.ts). */
export type WorkerFailed = Extract<WorkerResponse, { ok: false }>;

/**
 * A write failure the engine's own checks name (each after ROLLBACK in the worker,
 * so nothing changed), or a read-only file; undefined when the read mapping applies.
 */
export function writeRefusal(response: WorkerFailed, request: WriteRequest): BastionError | undefined {
  const detail = { code: response.code ?? '', message: response.message };
  const undone = 'It was rolled back and nothing changed.';
  switch (response.failure) {
    case 'writes-disabled':
      return new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.', detail);
    case 'not-a-write':
      return new BastionError('WRITE_NOT_ALLOWED', `SQLite reports that this statement is not a plain write (it only reads, or controls the transaction). ${undone}`, detail);
    case 'schema-changed':
      return new BastionError(
        'WRITE_NOT_ALLOWED',
        request.kind === 'dml'
          ? `The statement changed the database schema, which execute never does. ${undone}`
          : `The statement changed objects in the schema other than those it names. ${undone}`,
        detail,
      );
    case 'rows-changed':
      return new BastionError(
        'WRITE_NOT_ALLOWED',
        `The schema change also changed rows (a foreign-key action, or the implicit delete when dropping a table other tables reference). ${undone} ` +
          'Drop the referencing tables or delete their rows first.',
        detail,
      );
    case 'breaks-dependents':
      return new BastionError(
        'WRITE_NOT_ALLOWED',
        `A view or trigger that this change does not name depends on what it drops or changes, and would stop working. ${undone} ` +
          'Change or drop that view or trigger first.',
        detail,
      );
    case 'limit':
      return new BastionError(
        'WRITE_LIMIT_EXCEEDED',
        `The statement changes ${response.changed ?? 'more'} rows (counting those changed by triggers and foreign-key actions), more than the limit of ${request.maxAffectedRows}. ${undone}`,
        detail,
      );
    default:
      if (response.code?.startsWith('SQLITE_READONLY') === true) {
        return new BastionError('WRITE_NOT_ALLOWED', `SQLite could not write: the database file, or its folder (for the journal), is read-only to this server. Nothing changed.`, detail);
      }
      return undefined;
  }
}

/**
 * Maps a worker failure to the closed codes; SQLite's text is shown only for statement
 * errors, redacted. `quietData` (ReadRequest.quietData): a data error (mismatch, range,
 * size, constraint) loses every quoted span, and any other error its single-quoted ones
 * (`JSON path error near '…'` quotes a value; a syntax error quotes the statement's own
 * text in double quotes, which stays).
 */
export function toBastionError(response: WorkerFailed, quietData = false): BastionError {
  const code = response.code ?? '';
  const detail = { code, message: response.message };
  switch (response.failure) {
    case 'unavailable':
      return new BastionError('SOURCE_UNAVAILABLE', undefined, detail);
    case 'multiple':
      return new BastionError('SQL_MULTIPLE_STATEMENTS', undefined, detail);
    case 'not-read-only':
      return new BastionError('SQL_NOT_READ_ONLY', 'SQLite reports that this statement does not only read.', detail);
    default:
      break;
  }
  if (code.startsWith('SQLITE_READONLY')) return new BastionError('SQL_NOT_READ_ONLY', 'The database refused a write: the source is read-only.', detail);
  if (code === 'SQLITE_AUTH') return new BastionError('DENIED_BY_POLICY', 'The database denied the statement.', detail);
  // The worker's memory bound (source.ts): the statement's fault, not the source's; the worker lives on.
  if (code === 'SQLITE_NOMEM') return new BastionError('QUERY_FAILED', 'The statement needed more memory than this source allows; it was stopped and nothing else was affected.', detail);
  if (/^SQLITE_(CANTOPEN|NOTADB|CORRUPT|IOERR|PERM|FULL|BUSY|LOCKED|PROTOCOL)/u.test(code)) {
    return new BastionError('SOURCE_UNAVAILABLE', undefined, detail);
  }
  // Extended codes too: a write's constraint failure comes as SQLITE_CONSTRAINT_UNIQUE, _FOREIGNKEY ...
  if (/^SQLITE_(ERROR|MISMATCH|RANGE|TOOBIG|CONSTRAINT)(_[A-Z]+)?$/u.test(code)) {
    const quotes = code.startsWith('SQLITE_ERROR') ? ["'"] : ["'", '"'];
    const shown = (message: string): string => (quietData ? withoutQuotedValues(message, quotes) : message);
    const text = typeof response.message === 'string' ? `: ${shown(redactText(response.message)).slice(0, 300)}` : '.';
    return new BastionError('QUERY_FAILED', `The database rejected the statement${text}`, detail);
  }
  return new BastionError('QUERY_FAILED', undefined, detail);
}

/** After a timeout the worker was killed; SQLite rolls back an open transaction when the file is next opened. */
export function timeoutMessage(request: WriteRequest): string {
  if (request.dryRun) return 'The statement ran past its time limit and was stopped; its transaction was never committed, so nothing changed.';
  return (
    'The change ran past its time limit and was stopped before it reported back; SQLite rolls back a transaction that had not committed, ' +
    'so it is almost certainly not applied. Check the data before trying again.'
  );
}
