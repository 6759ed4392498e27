/**
 * Whether a PostgreSQL login may set temp_file_limit itself (a superuser parameter:
 * superusers, or on PostgreSQL 15+ a role granted SET ON PARAMETER temp_file_limit), and
 * the limit it starts with (its own, from ALTER ROLE … SET or the server; '-1' is none).
 * Asked once per source by the server and by doctor.
 */
export interface TempFileLimitFacts {
  readonly settable: boolean;
  /** current_setting('temp_file_limit') at login, e.g. '1GB', or '-1' for no limit. */
  readonly ownLimit: string;
}

type Rows = (sql: string) => Promise<Record<string, unknown>[]>;

const FACTS =
  "SELECT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser, pg_catalog.current_setting('server_version_num')::int AS version, pg_catalog.current_setting('temp_file_limit') AS own_limit";
/** PostgreSQL 15+ only: the function does not exist before, and a call naming it would not parse. */
const GRANTED = "SELECT pg_catalog.has_parameter_privilege('temp_file_limit', 'SET') AS granted";

export async function readTempFileLimit(rows: Rows): Promise<TempFileLimitFacts> {
  const [facts] = await rows(FACTS);
  const own = facts?.['own_limit'];
  const ownLimit = typeof own === 'string' ? own : '-1';
  if (facts?.['superuser'] === true) return { settable: true, ownLimit };
  if (Number(facts?.['version'] ?? 0) < 150000) return { settable: false, ownLimit };
  const [granted] = await rows(GRANTED);
  return { settable: granted?.['granted'] === true, ownLimit };
}
