import { BastionError } from '../../../errors/codes.js';
import { redactText } from '../../../log/redact.js';
import { withoutQuotedValues } from '../../../util/quoted-values.js';

/** The fields of a PostgreSQL error that adapters see (pg's DatabaseError and PGlite's). */
interface DatabaseErrorLike {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
}

/**
 * SQLSTATE classes whose server message describes the caller's own statement
 * (syntax, unknown column, bad cast) and never the server: safe to show.
 */
const STATEMENT_CLASSES = new Set(['21', '22', '42', '2F', '38', '39', '2B']);
/** Classes whose message may quote a value the statement computed: a data exception (22), an integrity violation (23). */
const DATA_CLASSES = new Set(['22', '23']);
/** Messages a routine raised (external routine, SQL routine, trigger protocol): free text that may hold any value. */
const ROUTINE_CLASSES = new Set(['2F', '38', '39']);

/**
 * Maps a driver or database error to the closed code set, with a message safe for the
 * client. `quietData` (ReadRequest.quietData): the values a data error quotes are taken
 * out, and a routine's own message is not shown.
 */
export function toBastionError(error: unknown, quietData = false): BastionError {
  if (error instanceof BastionError) return error;
  const db = (typeof error === 'object' && error !== null ? error : {}) as DatabaseErrorLike;
  const sqlstate = typeof db.code === 'string' && /^[0-9A-Z]{5}$/.test(db.code) ? db.code : undefined;
  if (sqlstate === undefined) {
    return new BastionError('SOURCE_UNAVAILABLE', undefined, error);
  }
  if (sqlstate === '57014') return new BastionError('QUERY_TIMEOUT', undefined, error);
  if (sqlstate === '55P03') return new BastionError('QUERY_TIMEOUT', 'The statement waited too long for a lock and was cancelled.', error);
  if (sqlstate === '25006') {
    return new BastionError('SQL_NOT_READ_ONLY', 'The database refused a write: the transaction is read-only.', error);
  }
  if (sqlstate === '53400') {
    // temp_file_limit: the caller's statement, not the server, is at fault.
    return new BastionError(
      'QUERY_FAILED',
      'The statement needed more temporary disk space than allowed (temp_file_limit) and was stopped; sort, group or join fewer rows (WHERE, LIMIT, an aggregate).',
      error,
    );
  }
  if (sqlstate === '53200') {
    return new BastionError('QUERY_FAILED', 'The statement needed more memory than the database could give it and was stopped; select smaller values or fewer rows.', error);
  }
  if (sqlstate === '42501') return new BastionError('DENIED_BY_POLICY', 'The database denied access to an object used by the statement.', error);
  const cls = sqlstate.slice(0, 2);
  if (STATEMENT_CLASSES.has(cls) && typeof db.message === 'string' && !(quietData && ROUTINE_CLASSES.has(cls))) {
    const message = quietData && DATA_CLASSES.has(cls) ? withoutQuotedValues(redactText(db.message), ['"', "'"]) : redactText(db.message);
    return new BastionError('QUERY_FAILED', `The database rejected the statement (SQLSTATE ${sqlstate}): ${message.slice(0, 300)}`, error);
  }
  if (cls === '08' || cls === '28' || cls === '3D' || cls === '53' || cls === '57' || cls === '58' || cls === 'XX') {
    return new BastionError('SOURCE_UNAVAILABLE', undefined, error);
  }
  return new BastionError('QUERY_FAILED', `The database rejected the statement (SQLSTATE ${sqlstate}).`, error);
}
