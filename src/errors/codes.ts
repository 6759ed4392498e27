/**
 * The closed set of error codes Bastion ever reports. A client sees the code, a
 * plain message and a correlation id; driver and system detail stays in the log.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CONFIG_INVALID'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNAVAILABLE'
  | 'SOURCE_BUSY'
  | 'TABLE_NOT_FOUND'
  | 'SQL_PARSE_ERROR'
  | 'SQL_MULTIPLE_STATEMENTS'
  | 'SQL_NOT_READ_ONLY'
  | 'SQL_FUNCTION_DENIED'
  | 'SQL_FEATURE_DENIED'
  | 'WRITE_NOT_ALLOWED'
  | 'DENIED_BY_POLICY'
  | 'QUERY_TIMEOUT'
  | 'QUERY_CANCELLED'
  | 'QUERY_FAILED'
  | 'WRITE_LIMIT_EXCEEDED'
  | 'PLAN_TOO_COSTLY'
  | 'RATE_LIMITED'
  | 'LIMITER_UNAVAILABLE'
  | 'SESSION_LIMIT'
  | 'TOOL_NOT_ALLOWED'
  | 'AUDIT_UNAVAILABLE'
  | 'APPROVAL_INVALID'
  | 'SIGN_IN_FAILED'
  | 'FILE_NOT_FOUND'
  | 'FILE_NOT_TEXT'
  | 'INTERNAL';

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'The arguments are not valid for this tool.',
  CONFIG_INVALID: 'The configuration is not valid.',
  SOURCE_NOT_FOUND: 'No such source is available to you.',
  SOURCE_UNAVAILABLE: 'The source is not reachable right now (connecting to it failed).',
  SOURCE_BUSY: 'The source is reachable but busy: too many of your statements are running on it, or all its connections are in use; retry in a few seconds.',
  TABLE_NOT_FOUND: 'No such table or view is visible to you.',
  SQL_PARSE_ERROR: 'The SQL does not parse.',
  SQL_MULTIPLE_STATEMENTS: 'Exactly one SQL statement is allowed per call.',
  SQL_NOT_READ_ONLY: 'Only read-only statements are allowed here.',
  SQL_FUNCTION_DENIED: 'The statement calls a function that is not allowed.',
  SQL_FEATURE_DENIED: 'The statement uses a SQL feature that is not allowed.',
  WRITE_NOT_ALLOWED: 'This change is not allowed: writes are limited to one INSERT, UPDATE, DELETE or MERGE, and schema changes to objects the AI owns.',
  DENIED_BY_POLICY: 'Denied by policy.',
  QUERY_TIMEOUT: 'The statement ran past its time limit and was cancelled.',
  QUERY_CANCELLED: 'The client cancelled the call, so the statement was stopped.',
  QUERY_FAILED: 'The database rejected the statement.',
  WRITE_LIMIT_EXCEEDED: 'The change affects more rows than allowed, so it was rolled back entirely.',
  PLAN_TOO_COSTLY: 'The planner estimates this statement over the configured bound (limits.max_plan_cost or max_plan_rows), so it was not run.',
  RATE_LIMITED: 'Too many calls; try again later.',
  LIMITER_UNAVAILABLE: 'The rate-limit store is unreachable, so calls are refused until it is back.',
  SESSION_LIMIT: 'Too many open sessions; close one (HTTP DELETE) or retry when a request has finished.',
  TOOL_NOT_ALLOWED: 'Your role may not use this tool.',
  APPROVAL_INVALID: 'The change was not approved for this call; nothing was changed.',
  SIGN_IN_FAILED: 'The sign-in could not be completed; start it again.',
  AUDIT_UNAVAILABLE: 'The audit record of this call could not be written, so its answer is withheld; calls are refused until an operator fixes the audit log.',
  FILE_NOT_FOUND: 'No such file or directory inside the allowed roots.',
  FILE_NOT_TEXT: 'The file is not UTF-8 text (it contains NUL bytes), so it is not returned.',
  INTERNAL: 'Internal error.',
};

/**
 * An error meant for the client. `message` must already be safe to show: it never
 * carries driver text, hosts, paths or secrets. `detail` is for the server log only.
 */
export class BastionError extends Error {
  override readonly name = 'BastionError';
  readonly code: ErrorCode;
  readonly detail: unknown;

  constructor(code: ErrorCode, message?: string, detail?: unknown) {
    super(message ?? DEFAULT_MESSAGES[code]);
    this.code = code;
    this.detail = detail;
  }
}

export function isBastionError(value: unknown): value is BastionError {
  return value instanceof BastionError;
}
