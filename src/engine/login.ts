/**
 * What the login of a server source could do if every other control failed, as its
 * engine reads it (doctor's `database-role` check judges it). Undefined from a probe
 * means the server could not be reached or asked.
 */
export type LoginPowers =
  /** PostgreSQL: the role, whether it is a superuser, and which server-file roles it is a member of. */
  | {
      readonly engine: 'postgres';
      readonly role: string;
      readonly superuser: boolean;
      readonly fileRoles: readonly string[];
      /** Whether the login may set temp_file_limit per call, and the limit it has of its own ('-1': none). */
      readonly tempFiles?: { readonly settable: boolean; readonly ownLimit: string };
    }
  /**
   * MySQL/MariaDB: whether a grant gives FILE or ALL PRIVILEGES on every database, and the
   * server's max_allowed_packet (the largest value it builds), when it could be read.
   */
  | { readonly engine: 'mysql'; readonly fileGrant: boolean; readonly maxAllowedPacket?: number };

/** Connections of a probe are short, read-only, and give up after this long. */
export const LOGIN_PROBE_TIMEOUT_MS = 3000;
