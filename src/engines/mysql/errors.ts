import { BastionError } from '../../errors/codes.js';
import { redactText } from '../../log/redact.js';
import { withoutQuotedValues } from '../../util/quoted-values.js';

/** The fields of a mysql2 error the mapping reads. */
interface MysqlErrorLike {
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  fatal?: unknown;
}

/** MySQL ER_QUERY_TIMEOUT and MariaDB ER_STATEMENT_TIMEOUT: the server's time limit fired. */
const TIMEOUT = new Set([3024, 1969]);
/** ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION and ER_OPTION_PREVENTS_STATEMENT (read_only server). */
const READ_ONLY = new Set([1792, 1290]);
/** Object-level access denials; their text names the user and host, so it is never shown. */
const ACCESS_DENIED = new Set([1142, 1143, 1044, 1227, 1370, 1045, 1698]);
/** The server cannot serve: too many connections, shutdown, out of memory, lost connection. */
const UNAVAILABLE = new Set([1040, 1053, 1037, 1038, 1041, 1081, 1152, 1153, 1154, 1155, 1156, 1157, 1158, 1159, 1160, 1161, 2002, 2003, 2006, 2013]);

/**
 * Maps a mysql2 or server error to the closed code set, with a message safe for the
 * client. `quietData` (ReadRequest.quietData): a data or integrity error (SQLSTATE class
 * 22, 23: `Truncated incorrect DOUBLE value: 'x'`) loses the values it quotes.
 */
export function toBastionError(error: unknown, quietData = false): BastionError {
  if (error instanceof BastionError) return error;
  const db = (typeof error === 'object' && error !== null ? error : {}) as MysqlErrorLike;
  const errno = typeof db.errno === 'number' ? db.errno : undefined;
  const sqlState = typeof db.sqlState === 'string' && /^[0-9A-Z]{5}$/.test(db.sqlState) ? db.sqlState : undefined;
  // No server error number: a socket, DNS or protocol failure.
  if (errno === undefined || sqlState === undefined || db.fatal === true) {
    if (errno !== undefined && TIMEOUT.has(errno)) return new BastionError('QUERY_TIMEOUT', undefined, error);
    return new BastionError('SOURCE_UNAVAILABLE', undefined, error);
  }
  if (TIMEOUT.has(errno)) return new BastionError('QUERY_TIMEOUT', undefined, error);
  if (errno === 1317) return new BastionError('QUERY_TIMEOUT', 'The statement was interrupted.', error);
  if (errno === 1205) return new BastionError('QUERY_TIMEOUT', 'The statement waited too long for a lock and was cancelled.', error);
  if (READ_ONLY.has(errno)) {
    return new BastionError('SQL_NOT_READ_ONLY', 'The database refused a write: the transaction is read-only.', error);
  }
  if (ACCESS_DENIED.has(errno)) return new BastionError('DENIED_BY_POLICY', 'The database denied access to an object used by the statement.', error);
  if (UNAVAILABLE.has(errno) || sqlState.startsWith('08')) return new BastionError('SOURCE_UNAVAILABLE', undefined, error);
  const cls = sqlState.slice(0, 2);
  if ((cls === '42' || cls === '22' || cls === '21' || cls === '23') && typeof db.sqlMessage === 'string') {
    const redacted = redactText(db.sqlMessage).replace(/'[^']*'@'[^']*'/g, "'***'@'***'");
    const message = (quietData && (cls === '22' || cls === '23') ? withoutQuotedValues(redacted, ["'", '"']) : redacted).slice(0, 300);
    return new BastionError('QUERY_FAILED', `The database rejected the statement (error ${errno}, SQLSTATE ${sqlState}): ${message}`, error);
  }
  return new BastionError('QUERY_FAILED', `The database rejected the statement (error ${errno}, SQLSTATE ${sqlState}).`, error);
}
