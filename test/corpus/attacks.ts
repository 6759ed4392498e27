/**
 * Attack corpus: SQL that a read-only SQL gateway must refuse.
 *
 * Plain data, no imports. Targets are the demo schema tables (shop.orders,
 * shop.customers, hr.employees, ...) so a test can check afterwards that they
 * still exist with the same row counts. Where it matters the statements are
 * written so that they would really succeed if they got through (DROP ...
 * CASCADE, deletes that do not trip a foreign key).
 *
 * Conventions:
 * - `tool: 'explain'` cases are given exactly as an assistant would send them to
 *   the explain tool. Some are bare statements (a write the tool would wrap in
 *   EXPLAIN), some already start with EXPLAIN (a client that types the keyword
 *   itself). The explain tool must refuse every one of them whichever way it
 *   handles a leading EXPLAIN.
 * - Names are unique; they are used in test titles.
 * - libpg-query rejects exactly these: "empty statement" (it throws "Query
 *   cannot be empty") and the five cases named "does not parse: ...". The
 *   whitespace-only, semicolons-only and comment-only cases parse to zero
 *   statements.
 * - Some objects named here do not exist in the demo schema (the sequence
 *   shop.orders_id_seq, the procedure shop.cleanup_orders, the materialized
 *   view shop.sales_summary, prepared statements wipe/q, cursor c, large
 *   objects 12345/16384, the dblink and adminpack extensions). The gateway
 *   must refuse them on policy grounds, before PostgreSQL could complain.
 *
 * Intent markers, measured on PostgreSQL 15 as superuser inside
 * BEGIN READ ONLY ... ROLLBACK with the missing objects created:
 * - "[not stopped by READ ONLY]": PostgreSQL executes the statement anyway
 *   (some effects are undone by the ROLLBACK, many are not: files, WAL,
 *   signals, session-level locks, prepared statements, side connections).
 * - "[not stopped by READ ONLY over the simple query protocol]": stacked
 *   statements that escape or flip the transaction when sent as one simple
 *   query string (the extended protocol refuses more than one statement).
 * - "[READ ONLY allows it: plans only]": plain EXPLAIN of something that is not
 *   a read; nothing executes but the explain tool must still refuse it.
 * - No marker: PostgreSQL itself refuses it inside BEGIN READ ONLY (or the
 *   statement cannot run in a transaction block, or does not parse there).
 */
export interface AttackCase {
  /** short unique name, used in test titles, e.g. "commit then drop hidden behind block comment" */
  name: string;
  /** which MCP tool receives it */
  tool: 'query' | 'explain';
  sql: string;
  params?: unknown[];
  /** what the attack tries to do, one line */
  intent: string;
}

export const attacks: readonly AttackCase[] = [
  // ---------------------------------------------------------------------------
  // Stacked statements: leave the read-only transaction, then write.
  // ---------------------------------------------------------------------------
  {
    name: 'commit then drop',
    tool: 'query',
    sql: 'SELECT 1; COMMIT; DROP TABLE shop.orders',
    intent: '[not stopped by READ ONLY over the simple query protocol] end the read-only transaction with COMMIT, then drop a table outside it (without CASCADE the drop then fails only on the order_items foreign key)',
  },
  {
    name: 'commit then drop without whitespace',
    tool: 'query',
    sql: 'SELECT 1;COMMIT;DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] same escape, tokens packed together to defeat whitespace-based splitting',
  },
  {
    name: 'commit then drop on separate lines',
    tool: 'query',
    sql: 'SELECT 1\n;\nCOMMIT\n;\nDROP TABLE shop.orders CASCADE\n',
    intent: '[not stopped by READ ONLY over the simple query protocol] same escape with every token on its own line',
  },
  {
    name: 'commit then drop with carriage returns and form feeds',
    tool: 'query',
    sql: 'SELECT 1\r;COMMIT\f;\r\nDROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] same escape separated by unusual whitespace characters',
  },
  {
    name: 'commit then drop in mixed case',
    tool: 'query',
    sql: 'SeLeCt 1; CoMmIt; DrOp TaBlE shop.orders cAsCaDe',
    intent: '[not stopped by READ ONLY over the simple query protocol] same escape in mixed case to defeat case-sensitive keyword matching',
  },
  {
    name: 'commit then drop hidden behind line comment',
    tool: 'query',
    sql: 'SELECT 1 -- read-only report, nothing to see here\n; COMMIT; DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] a tool that strips everything after -- on the first line sees only SELECT 1',
  },
  {
    name: 'line comments swallowing semicolons',
    tool: 'query',
    sql: 'SELECT 1 --;\nCOMMIT --;\n; DROP TABLE shop.orders CASCADE --',
    intent: 'semicolons inside line comments fool a naive splitter; COMMIT becomes a column alias and the DROP is a second statement',
  },
  {
    name: 'commit then drop hidden behind block comment',
    tool: 'query',
    sql: 'SELECT 1 /* ; */; COMMIT /* ; */; DROP TABLE shop.orders CASCADE /* done */',
    intent: '[not stopped by READ ONLY over the simple query protocol] statement separators interleaved with block comments that also contain semicolons',
  },
  {
    name: 'commit then drop hidden behind nested block comments',
    tool: 'query',
    sql: 'SELECT 1 /* outer /* inner */ still a comment; */; COMMIT; /* /* */ */ DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] PostgreSQL nests block comments; a non-nesting comment stripper mis-tokenises the rest',
  },
  {
    name: 'commit then drop with block comments as the only separators',
    tool: 'query',
    sql: 'SELECT 1/*\n*/;/**/COMMIT/**/;/**/DROP/**/TABLE/**/shop.orders/**/CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] block comments replace all whitespace so keyword regexes with \\s never match',
  },
  {
    name: 'end instead of commit then drop',
    tool: 'query',
    sql: 'SELECT 1; END; DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] END is a synonym of COMMIT that a keyword denylist may miss',
  },
  {
    name: 'rollback then drop',
    tool: 'query',
    sql: 'SELECT 1; ROLLBACK; DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] ROLLBACK also leaves the read-only transaction; the drop then autocommits',
  },
  {
    name: 'abort then delete',
    tool: 'query',
    sql: 'SELECT 1; ABORT; DELETE FROM hr.employees',
    intent: '[not stopped by READ ONLY over the simple query protocol] ABORT is a synonym of ROLLBACK; the delete then autocommits',
  },
  {
    name: 'commit and chain then drop',
    tool: 'query',
    sql: 'SELECT 1; COMMIT AND CHAIN; DROP TABLE shop.orders CASCADE',
    intent: 'COMMIT AND CHAIN opens a new transaction; any transaction control must be refused',
  },
  {
    name: 'rollback and no chain then truncate',
    tool: 'query',
    sql: 'SELECT 1; ROLLBACK AND NO CHAIN; TRUNCATE hr.employees',
    intent: '[not stopped by READ ONLY over the simple query protocol] explicit NO CHAIN rollback, then truncate in autocommit mode',
  },
  {
    name: 'empty statements around commit',
    tool: 'query',
    sql: 'SELECT 1;;; COMMIT;; ; DROP TABLE shop.orders CASCADE;',
    intent: '[not stopped by READ ONLY over the simple query protocol] runs of empty statements around the escape, to confuse statement counting',
  },
  {
    name: 'semicolon in a string literal before commit',
    tool: 'query',
    sql: "SELECT ';' AS semi; COMMIT; DROP TABLE shop.orders CASCADE",
    intent: '[not stopped by READ ONLY over the simple query protocol] a splitter that was taught about quotes still must see the real separators',
  },
  {
    name: 'semicolon in a dollar quote before commit',
    tool: 'query',
    sql: 'SELECT $$;$$; COMMIT; DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] dollar-quoted semicolon followed by a real escape',
  },
  {
    name: 'semicolon in a quoted identifier before commit',
    tool: 'query',
    sql: 'SELECT 1 AS "x;y"; COMMIT; DELETE FROM hr.employees WHERE manager_id IS NOT NULL',
    intent: '[not stopped by READ ONLY over the simple query protocol] quoted identifier containing a semicolon, then escape and delete',
  },
  {
    name: 'backslash-escaped quote in E string before commit',
    tool: 'query',
    sql: "SELECT E'it\\'s'; COMMIT; DROP TABLE shop.orders CASCADE",
    intent: "[not stopped by READ ONLY over the simple query protocol] E'it\\'s' is one string; a splitter that ignores E-string escapes thinks the rest is quoted",
  },
  {
    name: 'trailing backslash in standard string before commit',
    tool: 'query',
    sql: "SELECT 'C:\\'; COMMIT; DROP TABLE shop.orders CASCADE",
    intent: "[not stopped by READ ONLY over the simple query protocol] 'C:\\' is a complete string in standard_conforming_strings; a splitter treating \\ as escape thinks the rest is quoted",
  },
  {
    name: 'commit followed only by a comment',
    tool: 'query',
    sql: 'SELECT 1; COMMIT -- end of report',
    intent: '[not stopped by READ ONLY over the simple query protocol] end the read-only transaction so the gateway later runs things outside it',
  },
  {
    name: 'bare commit',
    tool: 'query',
    sql: 'COMMIT',
    intent: '[not stopped by READ ONLY] end the gateway transaction early',
  },
  {
    name: 'select then delete without transaction control',
    tool: 'query',
    sql: 'SELECT count(*) FROM shop.orders; DELETE FROM hr.employees',
    intent: 'a second statement that writes; more than one statement must be refused',
  },
  {
    name: 'set transaction read write then delete',
    tool: 'query',
    sql: 'SET TRANSACTION READ WRITE; DELETE FROM hr.employees WHERE id > 20',
    intent: '[not stopped by READ ONLY over the simple query protocol] as the first statement after BEGIN READ ONLY, SET TRANSACTION READ WRITE is accepted and the delete runs',
  },
  {
    name: 'set local transaction_read_only off then update then commit',
    tool: 'query',
    sql: 'SET LOCAL transaction_read_only = off; UPDATE hr.employees SET salary = 0; COMMIT',
    intent: '[not stopped by READ ONLY over the simple query protocol] flip the still-unused read-only transaction to read-write, write, and commit it',
  },
  {
    name: 'commit then begin read write then drop',
    tool: 'query',
    sql: 'SELECT 1; COMMIT; BEGIN READ WRITE; DROP TABLE shop.customers CASCADE; COMMIT',
    intent: '[not stopped by READ ONLY over the simple query protocol] open an explicit read-write transaction after the escape and drop with cascade',
  },
  {
    name: 'commit then make the session read-write',
    tool: 'query',
    sql: 'SELECT 1; COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    intent: '[not stopped by READ ONLY over the simple query protocol] poison the pooled session so that later transactions default to read-write',
  },
  {
    name: 'prepare transaction',
    tool: 'query',
    sql: "SELECT 1; PREPARE TRANSACTION 'bastion'",
    intent: 'detach the gateway transaction into a prepared transaction that holds locks forever',
  },
  {
    name: 'stacked statements with a parameter',
    tool: 'query',
    sql: 'SELECT $1::text; COMMIT; DROP TABLE shop.orders CASCADE',
    params: ['x'],
    intent: 'stacked escape sent together with bind parameters',
  },

  // ---------------------------------------------------------------------------
  // Data-modifying CTEs
  // ---------------------------------------------------------------------------
  {
    name: 'writable cte delete',
    tool: 'query',
    sql: 'WITH d AS (DELETE FROM shop.orders RETURNING *) SELECT count(*) FROM d',
    intent: 'a DELETE hidden in a CTE of a statement that starts with WITH ... SELECT',
  },
  {
    name: 'writable cte delete never referenced',
    tool: 'query',
    sql: 'WITH d AS (DELETE FROM hr.employees) SELECT 1',
    intent: 'data-modifying CTEs run even when the outer query never reads them',
  },
  {
    name: 'writable cte update',
    tool: 'query',
    sql: "WITH u AS (UPDATE shop.customers SET country = 'XX' RETURNING id) SELECT count(*) FROM u",
    intent: 'an UPDATE hidden in a CTE',
  },
  {
    name: 'writable cte insert',
    tool: 'query',
    sql: "WITH i AS (INSERT INTO shop.customers (id, name, email, country, created_at) VALUES (9999, 'Mallory', 'mallory@example.com', 'XX', now()) RETURNING id) SELECT id FROM i",
    intent: 'an INSERT hidden in a CTE',
  },
  {
    name: 'writable cte insert from select',
    tool: 'query',
    sql: 'WITH x AS (INSERT INTO hr.employees SELECT id + 1000, name, email, title, NULL, salary, ssn, hired_on FROM hr.employees RETURNING 1) SELECT count(*) FROM x',
    intent: 'an INSERT ... SELECT hidden in a CTE duplicating every employee',
  },
  {
    name: 'writable cte merge',
    tool: 'query',
    sql: 'WITH m AS (MERGE INTO shop.orders o USING (SELECT 1 AS id) s ON o.id = s.id WHEN MATCHED THEN DELETE RETURNING o.id) SELECT * FROM m',
    intent: 'a MERGE ... RETURNING inside a CTE (PostgreSQL 17+ syntax, the parser accepts it)',
  },
  {
    name: 'writable cte as second of several ctes',
    tool: 'query',
    sql: "WITH a AS (SELECT id FROM shop.orders WHERE status = 'cancelled'), d AS (UPDATE shop.orders o SET total = 0 FROM a WHERE o.id = a.id RETURNING o.id) SELECT count(*) FROM d",
    intent: 'the first CTE is an innocent read, the second updates',
  },
  {
    name: 'writable cte next to a recursive cte',
    tool: 'query',
    sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3), d AS (DELETE FROM hr.employees WHERE id IN (SELECT n FROM r) RETURNING id) SELECT * FROM d',
    intent: 'a DELETE CTE sitting beside a recursive CTE',
  },
  {
    name: 'writable cte nested in a from subquery',
    tool: 'query',
    sql: 'SELECT * FROM (WITH d AS (DELETE FROM hr.employees RETURNING id) SELECT id FROM d) AS s',
    intent: 'a DELETE CTE nested in a derived table rather than at the top level',
  },
  {
    name: 'writable cte nested in a where subquery',
    tool: 'query',
    sql: 'SELECT * FROM shop.customers WHERE id IN (WITH d AS (DELETE FROM hr.employees RETURNING id) SELECT id FROM d)',
    intent: 'a DELETE CTE nested in an IN subquery',
  },
  {
    name: 'writable cte nested in a union branch',
    tool: 'query',
    sql: 'SELECT id FROM shop.orders WHERE false UNION ALL (WITH d AS (UPDATE shop.orders SET total = 0 RETURNING id) SELECT id FROM d)',
    intent: 'an UPDATE CTE hidden in the second branch of a set operation',
  },
  {
    name: 'writable cte nested inside another cte',
    tool: 'query',
    sql: 'WITH outer_cte AS (WITH d AS (UPDATE hr.employees SET salary = 0 RETURNING id) SELECT id FROM d) SELECT count(*) FROM outer_cte',
    intent: 'an UPDATE CTE nested in the body of an innocent-looking CTE',
  },

  // ---------------------------------------------------------------------------
  // SELECT variants that write or lock
  // ---------------------------------------------------------------------------
  {
    name: 'select into new table',
    tool: 'query',
    sql: 'SELECT * INTO shop.orders_copy FROM shop.orders',
    intent: 'SELECT INTO creates a table',
  },
  {
    name: 'select into temp table',
    tool: 'query',
    sql: 'SELECT id, email INTO TEMP stolen FROM shop.customers',
    intent: 'SELECT INTO TEMP creates session state that outlives the request',
  },
  {
    name: 'select into unlogged table',
    tool: 'query',
    sql: 'SELECT * INTO UNLOGGED TABLE leak FROM hr.employees',
    intent: 'SELECT INTO UNLOGGED creates a table',
  },
  {
    name: 'select for update',
    tool: 'query',
    sql: 'SELECT * FROM shop.orders FOR UPDATE',
    intent: 'row locks on every order, blocking writers',
  },
  {
    name: 'select for share',
    tool: 'query',
    sql: 'SELECT * FROM shop.orders WHERE id = 1 FOR SHARE',
    intent: 'shared row lock',
  },
  {
    name: 'select for no key update skip locked',
    tool: 'query',
    sql: 'SELECT * FROM shop.orders FOR NO KEY UPDATE SKIP LOCKED',
    intent: 'FOR NO KEY UPDATE row locks',
  },
  {
    name: 'select for key share nowait',
    tool: 'query',
    sql: 'SELECT * FROM shop.customers FOR KEY SHARE NOWAIT',
    intent: 'FOR KEY SHARE row locks',
  },
  {
    name: 'locking clause in a subquery',
    tool: 'query',
    sql: 'SELECT count(*) FROM (SELECT id FROM hr.employees FOR UPDATE) AS s',
    intent: 'FOR UPDATE hidden in a derived table',
  },
  {
    name: 'locking clause in a cte',
    tool: 'query',
    sql: 'WITH l AS (SELECT id FROM shop.orders FOR UPDATE OF orders) SELECT count(*) FROM l',
    intent: 'FOR UPDATE OF hidden in a CTE',
  },

  // ---------------------------------------------------------------------------
  // EXPLAIN
  // ---------------------------------------------------------------------------
  {
    name: 'explain analyze delete via query tool',
    tool: 'query',
    sql: 'EXPLAIN ANALYZE DELETE FROM shop.orders',
    intent: 'EXPLAIN ANALYZE executes the DELETE',
  },
  {
    name: 'explain analyze delete via explain tool',
    tool: 'explain',
    sql: 'EXPLAIN ANALYZE DELETE FROM hr.employees',
    intent: 'EXPLAIN ANALYZE executes the DELETE',
  },
  {
    name: 'explain parenthesised analyze select via query tool',
    tool: 'query',
    sql: 'EXPLAIN (ANALYZE) SELECT count(*) FROM shop.orders',
    intent: '[not stopped by READ ONLY] EXPLAIN (ANALYZE) executes the statement; not allowed through the query tool',
  },
  {
    name: 'explain analyze true with buffers',
    tool: 'explain',
    sql: 'EXPLAIN (ANALYZE true, BUFFERS) SELECT * FROM shop.orders',
    intent: '[not stopped by READ ONLY] ANALYZE spelled as an option with a boolean value',
  },
  {
    name: 'explain analyze as numeric option after format',
    tool: 'explain',
    sql: 'EXPLAIN (FORMAT JSON, ANALYZE 1) SELECT * FROM hr.employees',
    intent: '[not stopped by READ ONLY] ANALYZE enabled with the value 1, placed after another option',
  },
  {
    name: 'explain analyse british spelling',
    tool: 'explain',
    sql: 'EXPLAIN ANALYSE VERBOSE SELECT * FROM hr.employees',
    intent: '[not stopped by READ ONLY] ANALYSE is accepted as a synonym of ANALYZE',
  },
  {
    name: 'explain tool given a bare insert',
    tool: 'explain',
    sql: "INSERT INTO shop.customers (id, name, email, country, created_at) VALUES (9999, 'Mallory', 'mallory@example.com', 'XX', now())",
    intent: '[READ ONLY allows it: plans only] the explain tool explains reads only',
  },
  {
    name: 'explain tool given a bare update',
    tool: 'explain',
    sql: 'UPDATE hr.employees SET salary = salary * 2',
    intent: '[READ ONLY allows it: plans only] the explain tool explains reads only',
  },
  {
    name: 'explain tool given a bare merge',
    tool: 'explain',
    sql: 'MERGE INTO shop.orders o USING shop.customers c ON o.customer_id = c.id WHEN MATCHED THEN UPDATE SET total = 0',
    intent: '[READ ONLY allows it: plans only] the explain tool explains reads only',
  },
  {
    name: 'explain of an update without analyze',
    tool: 'explain',
    sql: 'EXPLAIN UPDATE hr.employees SET salary = 0',
    intent: '[READ ONLY allows it: plans only] EXPLAIN of a write, even without ANALYZE, is not an explain of a read',
  },
  {
    name: 'explain of a delete with analyze off',
    tool: 'explain',
    sql: 'EXPLAIN (ANALYZE off, COSTS off) DELETE FROM shop.orders',
    intent: '[READ ONLY allows it: plans only] EXPLAIN of a write with ANALYZE explicitly off',
  },
  {
    name: 'explain tool given a writable cte',
    tool: 'explain',
    sql: 'WITH d AS (DELETE FROM shop.orders RETURNING id) SELECT count(*) FROM d',
    intent: '[READ ONLY allows it: plans only] a read-looking statement that contains a DELETE',
  },
  {
    name: 'explain tool given create table as',
    tool: 'explain',
    sql: 'CREATE TABLE leak AS SELECT * FROM hr.employees',
    intent: '[READ ONLY allows it: plans only] CREATE TABLE AS is explainable but creates a table',
  },
  {
    name: 'explain tool given select into',
    tool: 'explain',
    sql: 'SELECT * INTO leak FROM hr.employees',
    intent: '[READ ONLY allows it: plans only] SELECT INTO is explainable but creates a table',
  },
  {
    name: 'explain tool given select for update',
    tool: 'explain',
    sql: 'SELECT * FROM shop.orders FOR UPDATE',
    intent: '[READ ONLY allows it: plans only] a locking read is not a plain read',
  },
  {
    name: 'explain tool given execute',
    tool: 'explain',
    sql: 'EXECUTE wipe',
    intent: 'EXPLAIN EXECUTE of a prepared statement whose text the policy never saw',
  },
  {
    name: 'explain tool given stacked statements',
    tool: 'explain',
    sql: 'SELECT 1; COMMIT; DROP TABLE shop.orders CASCADE',
    intent: '[not stopped by READ ONLY over the simple query protocol] the stacked escape through the explain tool',
  },
  {
    name: 'explain tool given a do block',
    tool: 'explain',
    sql: 'DO $$BEGIN DELETE FROM shop.orders; END$$',
    intent: 'anonymous code block through the explain tool',
  },
  {
    name: 'explain tool given a dangerous function',
    tool: 'explain',
    sql: "SELECT lo_import('/etc/passwd')",
    intent: '[READ ONLY allows it: plans only] the function policy applies to the explain tool too',
  },

  // ---------------------------------------------------------------------------
  // Procedural code, prepared statements, cursors
  // ---------------------------------------------------------------------------
  {
    name: 'do block with dynamic drop',
    tool: 'query',
    sql: "DO $$BEGIN EXECUTE 'DROP TABLE shop.orders CASCADE'; END$$",
    intent: 'anonymous plpgsql block running dynamic SQL',
  },
  {
    name: 'do block with language and custom dollar tag',
    tool: 'query',
    sql: 'DO LANGUAGE plpgsql $body$ BEGIN DELETE FROM hr.employees; END $body$',
    intent: 'anonymous code block with explicit LANGUAGE and a tagged dollar quote',
  },
  {
    name: 'do block poisoning the session',
    tool: 'query',
    sql: "DO $$ BEGIN PERFORM set_config('default_transaction_read_only', 'off', false); END $$",
    intent: '[not stopped by READ ONLY] change a session setting from inside procedural code',
  },
  {
    name: 'prepare a delete',
    tool: 'query',
    sql: 'PREPARE wipe AS DELETE FROM shop.orders',
    intent: '[not stopped by READ ONLY] leave a prepared DELETE in the pooled session for a later EXECUTE',
  },
  {
    name: 'prepare a read',
    tool: 'query',
    sql: 'PREPARE q(int) AS SELECT * FROM hr.employees WHERE id = $1',
    intent: '[not stopped by READ ONLY] prepared statements are session state the gateway does not manage',
  },
  {
    name: 'execute a prepared statement',
    tool: 'query',
    sql: 'EXECUTE wipe',
    intent: 'run a statement whose text the policy never inspected',
  },
  {
    name: 'execute a prepared statement with arguments',
    tool: 'query',
    sql: 'EXECUTE q(1)',
    intent: '[not stopped by READ ONLY] run a prepared statement with arguments',
  },
  {
    name: 'deallocate all',
    tool: 'query',
    sql: 'DEALLOCATE ALL',
    intent: '[not stopped by READ ONLY] drop the prepared statements of the pooled session (driver state)',
  },
  {
    name: 'prepare and execute stacked',
    tool: 'query',
    sql: 'PREPARE p AS SELECT 1; EXECUTE p',
    intent: '[not stopped by READ ONLY over the simple query protocol] prepare and run in one request',
  },
  {
    name: 'declare cursor with hold',
    tool: 'query',
    sql: 'DECLARE c CURSOR WITH HOLD FOR SELECT * FROM hr.employees',
    intent: '[not stopped by READ ONLY] a holdable cursor outlives the transaction in the pooled session',
  },
  {
    name: 'fetch from cursor',
    tool: 'query',
    sql: 'FETCH ALL FROM c',
    intent: '[not stopped by READ ONLY] read from a cursor opened by an earlier request, bypassing the policy',
  },
  {
    name: 'move cursor',
    tool: 'query',
    sql: 'MOVE FORWARD 10 IN c',
    intent: '[not stopped by READ ONLY] cursor manipulation',
  },
  {
    name: 'close all cursors',
    tool: 'query',
    sql: 'CLOSE ALL',
    intent: '[not stopped by READ ONLY] cursor manipulation of the pooled session',
  },
  {
    name: 'close named cursor',
    tool: 'query',
    sql: 'CLOSE c',
    intent: '[not stopped by READ ONLY] cursor manipulation of the pooled session',
  },

  // ---------------------------------------------------------------------------
  // Dangerous functions: every position and spelling
  // ---------------------------------------------------------------------------
  {
    name: 'pg_read_file in select list',
    tool: 'query',
    sql: "SELECT pg_read_file('/etc/passwd')",
    intent: '[not stopped by READ ONLY] read a file on the database server',
  },
  {
    name: 'pg_read_file schema-qualified',
    tool: 'query',
    sql: "SELECT pg_catalog.pg_read_file('/etc/passwd', 0, 100)",
    intent: '[not stopped by READ ONLY] read a server file through the pg_catalog-qualified name',
  },
  {
    name: 'pg_read_file quoted identifier',
    tool: 'query',
    sql: `SELECT "pg_read_file"('/etc/passwd')`,
    intent: '[not stopped by READ ONLY] read a server file through a quoted function name',
  },
  {
    name: 'pg_read_file quoted schema and name',
    tool: 'query',
    sql: `SELECT "pg_catalog"."pg_read_file"('postmaster.opts')`,
    intent: '[not stopped by READ ONLY] read a file in the data directory through quoted schema and function names',
  },
  {
    name: 'pg_read_file unicode-escaped identifier',
    tool: 'query',
    sql: `SELECT U&"pg\\005fread\\005ffile"('/etc/passwd')`,
    intent: '[not stopped by READ ONLY] read a server file with the function name spelled as a U& identifier',
  },
  {
    name: 'pg_read_file unicode identifier with uescape',
    tool: 'query',
    sql: `SELECT U&"pg!005fread!005ffile" UESCAPE '!' ('/etc/passwd')`,
    intent: '[not stopped by READ ONLY] read a server file with a U& identifier using a custom escape character',
  },
  {
    name: 'pg_read_file upper case',
    tool: 'query',
    sql: "SELECT PG_READ_FILE('/etc/passwd')",
    intent: '[not stopped by READ ONLY] read a server file with the function name in upper case',
  },
  {
    name: 'pg_read_file in where clause',
    tool: 'query',
    sql: "SELECT id FROM shop.orders WHERE length(pg_read_file('/etc/passwd')) > 0 LIMIT 1",
    intent: '[not stopped by READ ONLY] dangerous call nested as an argument inside WHERE',
  },
  {
    name: 'pg_read_file inside coalesce',
    tool: 'query',
    sql: "SELECT coalesce(NULL, pg_read_file('/etc/passwd'))",
    intent: '[not stopped by READ ONLY] dangerous call inside COALESCE, which is not a FuncCall node',
  },
  {
    name: 'pg_read_file inside format',
    tool: 'query',
    sql: "SELECT format('%s', pg_read_file('/etc/hostname'))",
    intent: '[not stopped by READ ONLY] dangerous call as the argument of an innocent function',
  },
  {
    name: 'pg_read_file inside xmltable passing',
    tool: 'query',
    sql: "SELECT * FROM XMLTABLE('/a' PASSING xmlparse(document '<a>' || pg_read_file('/etc/hostname') || '</a>') COLUMNS a text)",
    intent: '[not stopped by READ ONLY] dangerous call inside a table function expression',
  },
  {
    name: 'pg_read_file in string_agg aggregate argument',
    tool: 'query',
    sql: "SELECT string_agg(pg_read_file('/etc/hostname'), ',') FROM hr.employees",
    intent: '[not stopped by READ ONLY] dangerous call as the argument of an aggregate',
  },
  {
    name: 'pg_read_file with a parameter',
    tool: 'query',
    sql: 'SELECT pg_read_file($1)',
    params: ['/etc/passwd'],
    intent: '[not stopped by READ ONLY] read a server file whose path arrives as a bind parameter',
  },
  {
    name: 'pg_read_binary_file inside case',
    tool: 'query',
    sql: "SELECT CASE WHEN id = 1 THEN pg_read_binary_file('/etc/passwd') END FROM shop.orders LIMIT 1",
    intent: '[not stopped by READ ONLY] binary file read hidden in a CASE branch',
  },
  {
    name: 'pg_ls_dir function scan',
    tool: 'query',
    sql: "SELECT * FROM pg_ls_dir('.')",
    intent: '[not stopped by READ ONLY] list the data directory as a function in FROM',
  },
  {
    name: 'pg_ls_dir with ordinality and column aliases',
    tool: 'query',
    sql: "SELECT * FROM pg_catalog.pg_ls_dir('/') WITH ORDINALITY AS f(name, n)",
    intent: '[not stopped by READ ONLY] list the root directory as a function scan with ordinality',
  },
  {
    name: 'pg_ls_dir in rows from',
    tool: 'query',
    sql: "SELECT * FROM ROWS FROM (generate_series(1, 2), pg_ls_dir('/tmp')) AS r(a, b)",
    intent: '[not stopped by READ ONLY] dangerous function next to a harmless one in ROWS FROM',
  },
  {
    name: 'pg_ls_dir in an array constructor',
    tool: 'query',
    sql: "SELECT ARRAY(SELECT pg_ls_dir('/'))",
    intent: '[not stopped by READ ONLY] dangerous call inside an ARRAY(subquery)',
  },
  {
    name: 'pg_stat_file in lateral join',
    tool: 'query',
    sql: "SELECT c.id, s.* FROM shop.customers c CROSS JOIN LATERAL pg_stat_file('/etc/passwd') AS s LIMIT 1",
    intent: '[not stopped by READ ONLY] probe server files as a LATERAL function',
  },
  {
    name: 'lo_import in a scalar subquery',
    tool: 'query',
    sql: "SELECT (SELECT lo_import('/etc/passwd')) AS oid",
    intent: '[not stopped by READ ONLY] import a server file into a large object, hidden in a subquery',
  },
  {
    name: 'lo_export in a cte',
    tool: 'query',
    sql: "WITH f AS (SELECT lo_export(12345, '/tmp/pwned')) SELECT * FROM f",
    intent: '[not stopped by READ ONLY] write a server file from a large object, hidden in a CTE',
  },
  {
    name: 'lo_get in a window function argument',
    tool: 'query',
    sql: 'SELECT sum(length(lo_get(16384))) OVER () FROM shop.orders LIMIT 1',
    intent: '[not stopped by READ ONLY] read a large object inside a window aggregate argument',
  },
  {
    name: 'lo_from_bytea in values',
    tool: 'query',
    sql: "VALUES (lo_from_bytea(0, '\\x41'::bytea))",
    intent: '[not stopped by READ ONLY] create a large object from a VALUES list',
  },
  {
    name: 'lo_unlink in join condition',
    tool: 'query',
    sql: 'SELECT o.id FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id AND lo_unlink(o.id) = 1',
    intent: '[not stopped by READ ONLY] delete large objects from inside a JOIN ... ON condition',
  },
  {
    name: 'dblink running a delete on the same database',
    tool: 'query',
    sql: "SELECT * FROM dblink('dbname=' || current_database(), 'DELETE FROM hr.employees RETURNING id') AS t(id int)",
    intent: '[not stopped by READ ONLY] a second connection that is not read-only does the write',
  },
  {
    name: 'dblink_exec dropping a table',
    tool: 'query',
    sql: "SELECT dblink_exec('dbname=' || current_database(), 'DROP TABLE shop.orders CASCADE')",
    intent: '[not stopped by READ ONLY] a second connection that is not read-only drops the table',
  },
  {
    name: 'dblink_connect',
    tool: 'query',
    sql: "SELECT dblink_connect('pwn', 'dbname=' || current_database())",
    intent: '[not stopped by READ ONLY] open a named side connection that persists in the session',
  },
  {
    name: 'dblink_exec with parameters',
    tool: 'query',
    sql: 'SELECT dblink_exec($1, $2)',
    params: ['dbname=bastion_demo', 'DROP TABLE shop.orders CASCADE'],
    intent: '[not stopped by READ ONLY] side-connection write with both arguments as bind parameters',
  },
  {
    name: 'set_config disabling read-only default',
    tool: 'query',
    sql: "SELECT set_config('default_transaction_read_only','off',false)",
    intent: '[not stopped by READ ONLY] session poisoning: later transactions of this pooled session default to read-write',
  },
  {
    name: 'write after poisoning default_transaction_read_only',
    tool: 'query',
    sql: "INSERT INTO shop.orders (id, customer_id, status, ordered_at, total) VALUES (99999, 1, 'paid', now(), 0)",
    intent: 'the write that follows an earlier set_config(default_transaction_read_only, off)',
  },
  {
    name: 'set_config disabling statement timeout',
    tool: 'query',
    sql: "SELECT set_config('statement_timeout','0',false)",
    intent: '[not stopped by READ ONLY] session poisoning: remove the timeout so later queries can run forever',
  },
  {
    name: 'set_config with parameters',
    tool: 'query',
    sql: 'SELECT set_config($1,$2,false)',
    params: ['default_transaction_read_only', 'off'],
    intent: '[not stopped by READ ONLY] session poisoning with name and value as bind parameters',
  },
  {
    name: 'set_config schema-qualified local transaction_read_only',
    tool: 'query',
    sql: "SELECT pg_catalog.set_config('transaction_read_only', 'off', true)",
    intent: 'turn the current transaction read-write',
  },
  {
    name: 'nextval',
    tool: 'query',
    sql: "SELECT nextval('shop.orders_id_seq'::regclass)",
    intent: 'advance a sequence (a write that is never rolled back)',
  },
  {
    name: 'setval',
    tool: 'query',
    sql: "SELECT setval('shop.orders_id_seq', 1, false)",
    intent: 'reset a sequence',
  },
  {
    name: 'pg_advisory_lock',
    tool: 'query',
    sql: 'SELECT pg_advisory_lock(42)',
    intent: '[not stopped by READ ONLY] a session-level lock that survives the rollback in the pooled session',
  },
  {
    name: 'pg_advisory_xact_lock in having',
    tool: 'query',
    sql: 'SELECT status FROM shop.orders GROUP BY status HAVING pg_advisory_xact_lock(42) IS NULL',
    intent: '[not stopped by READ ONLY] take an advisory lock from inside HAVING',
  },
  {
    name: 'pg_try_advisory_lock in aggregate filter',
    tool: 'query',
    sql: 'SELECT count(*) FILTER (WHERE pg_try_advisory_lock(id)) FROM shop.orders',
    intent: '[not stopped by READ ONLY] take thousands of session locks from an aggregate FILTER clause',
  },
  {
    name: 'pg_try_advisory_lock in window order by',
    tool: 'query',
    sql: 'SELECT id, row_number() OVER (ORDER BY pg_try_advisory_lock(id)) FROM hr.employees',
    intent: '[not stopped by READ ONLY] session locks taken inside a window specification',
  },
  {
    name: 'pg_terminate_backend in exists subquery',
    tool: 'query',
    sql: 'SELECT 1 WHERE EXISTS (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid())',
    intent: '[not stopped by READ ONLY] kill other sessions on this database',
  },
  {
    name: 'pg_terminate_backend with named arguments',
    tool: 'query',
    sql: 'SELECT pg_terminate_backend(pid => pid, timeout => 1000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    intent: '[not stopped by READ ONLY] kill other sessions, called with named-argument notation',
  },
  {
    name: 'pg_cancel_backend',
    tool: 'query',
    sql: 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    intent: '[not stopped by READ ONLY] cancel the queries of other sessions',
  },
  {
    name: 'pg_reload_conf',
    tool: 'query',
    sql: 'SELECT pg_reload_conf()',
    intent: '[not stopped by READ ONLY] reload the server configuration',
  },
  {
    name: 'pg_rotate_logfile',
    tool: 'query',
    sql: 'SELECT pg_rotate_logfile()',
    intent: '[not stopped by READ ONLY] rotate the server log',
  },
  {
    name: 'pg_stat_reset',
    tool: 'query',
    sql: 'SELECT pg_stat_reset()',
    intent: '[not stopped by READ ONLY] wipe the statistics of the database (hides activity)',
  },
  {
    name: 'pg_stat_reset_shared',
    tool: 'query',
    sql: "SELECT pg_stat_reset_shared('bgwriter')",
    intent: '[not stopped by READ ONLY] wipe cluster-wide statistics',
  },
  {
    name: 'query_to_xml running a hidden delete',
    tool: 'query',
    sql: "SELECT query_to_xml('DELETE FROM hr.employees RETURNING id', true, false, '')",
    intent: 'run SQL the parser never sees, passed as a string (PostgreSQL stops the DELETE only because query_to_xml is STABLE)',
  },
  {
    name: 'query_to_xml_and_xmlschema reading a denied column',
    tool: 'query',
    sql: "SELECT query_to_xml_and_xmlschema('SELECT ssn FROM hr.employees', true, false, '')",
    intent: '[not stopped by READ ONLY] read data through SQL hidden in a string, bypassing table and column policy',
  },
  {
    name: 'table_to_xml on a denied table',
    tool: 'query',
    sql: "SELECT table_to_xml('hr.api_credentials', true, false, '')",
    intent: '[not stopped by READ ONLY] read a denied table named only in a string',
  },
  {
    name: 'cursor_to_xml',
    tool: 'query',
    sql: "SELECT cursor_to_xml('c', 10, true, false, '')",
    intent: '[not stopped by READ ONLY] read from a cursor opened outside the policy',
  },
  {
    name: 'database_to_xml',
    tool: 'query',
    sql: "SELECT database_to_xml(true, false, '')",
    intent: '[not stopped by READ ONLY] dump the whole database, ignoring table policy',
  },
  {
    name: 'pg_sleep',
    tool: 'query',
    sql: 'SELECT pg_sleep(3600)',
    intent: '[not stopped by READ ONLY] hold a connection for an hour',
  },
  {
    name: 'pg_sleep with a parameter',
    tool: 'query',
    sql: 'SELECT pg_sleep($1)',
    params: [3600],
    intent: '[not stopped by READ ONLY] hold a connection, duration as a bind parameter',
  },
  {
    name: 'pg_sleep in order by',
    tool: 'query',
    sql: 'SELECT id FROM hr.employees ORDER BY pg_sleep(0.1) IS NULL, id',
    intent: '[not stopped by READ ONLY] a sleep per row hidden in ORDER BY',
  },
  {
    name: 'pg_sleep in tablesample repeatable',
    tool: 'query',
    sql: 'SELECT count(*) FROM shop.orders TABLESAMPLE SYSTEM (10) REPEATABLE (length(pg_sleep(5)::text))',
    intent: '[not stopped by READ ONLY] dangerous call hidden in the TABLESAMPLE seed expression',
  },
  {
    name: 'pg_sleep in a lateral subquery',
    tool: 'query',
    sql: 'SELECT c.id FROM shop.customers c, LATERAL (SELECT pg_sleep(0.01)) AS z LIMIT 5',
    intent: '[not stopped by READ ONLY] sleep hidden in a LATERAL subquery',
  },
  {
    name: 'pg_sleep_for',
    tool: 'query',
    sql: "SELECT pg_sleep_for('1 hour')",
    intent: '[not stopped by READ ONLY] hold a connection for an hour',
  },
  {
    name: 'pg_sleep_until',
    tool: 'query',
    sql: "SELECT pg_sleep_until(now() + interval '1 hour')",
    intent: '[not stopped by READ ONLY] hold a connection for an hour',
  },
  {
    name: 'pg_sleep inside limit',
    tool: 'query',
    sql: 'SELECT id FROM shop.orders LIMIT (SELECT 1 FROM pg_sleep(5))',
    intent: '[not stopped by READ ONLY] sleep hidden in the LIMIT expression',
  },
  {
    name: 'pg_notify',
    tool: 'query',
    sql: "SELECT pg_notify('bastion', 'hello')",
    intent: '[not stopped by READ ONLY] send a notification to listeners (delivered if the gateway commits)',
  },
  {
    name: 'txid_current',
    tool: 'query',
    sql: 'SELECT txid_current()',
    intent: '[not stopped by READ ONLY] assign a transaction id (burns xids, a write to the clog)',
  },
  {
    name: 'pg_current_xact_id in distinct on',
    tool: 'query',
    sql: 'SELECT DISTINCT ON (pg_current_xact_id()) id FROM hr.employees',
    intent: '[not stopped by READ ONLY] assign a transaction id from a DISTINCT ON expression',
  },
  {
    name: 'pg_switch_wal',
    tool: 'query',
    sql: 'SELECT pg_switch_wal()',
    intent: '[not stopped by READ ONLY] force a WAL segment switch',
  },
  {
    name: 'pg_create_restore_point',
    tool: 'query',
    sql: "SELECT pg_create_restore_point('bastion')",
    intent: '[not stopped by READ ONLY] write a WAL restore point record',
  },
  {
    name: 'pg_logical_emit_message non-transactional',
    tool: 'query',
    sql: "SELECT pg_logical_emit_message(false, 'bastion', 'payload')",
    intent: '[not stopped by READ ONLY] write a WAL message that survives the rollback',
  },
  {
    name: 'pg_import_system_collations',
    tool: 'query',
    sql: "SELECT pg_import_system_collations('pg_catalog')",
    intent: '[not stopped by READ ONLY] create catalog entries (collations)',
  },
  {
    name: 'pg_file_write',
    tool: 'query',
    sql: "SELECT pg_file_write('/tmp/bastion_pwned', 'x', false)",
    intent: '[not stopped by READ ONLY] write a server file (adminpack)',
  },

  // ---------------------------------------------------------------------------
  // COPY
  // ---------------------------------------------------------------------------
  {
    name: 'copy to program',
    tool: 'query',
    sql: "COPY (SELECT ssn FROM hr.employees) TO PROGRAM 'cat > /tmp/bastion_ssn_dump'",
    intent: '[not stopped by READ ONLY] run a shell command on the server and hand it data',
  },
  {
    name: 'copy from program',
    tool: 'query',
    sql: "COPY shop.customers FROM PROGRAM 'cat /etc/passwd'",
    intent: 'run a shell command on the server and load its output into a table',
  },
  {
    name: 'copy query to server file',
    tool: 'query',
    sql: "COPY (SELECT * FROM hr.employees) TO '/tmp/bastion_exfil.csv'",
    intent: '[not stopped by READ ONLY] write a file on the database server',
  },
  {
    name: 'copy table to stdout',
    tool: 'query',
    sql: 'COPY hr.api_credentials TO STDOUT',
    intent: '[not stopped by READ ONLY] COPY is not a query; it uses a sub-protocol the gateway does not handle',
  },

  // ---------------------------------------------------------------------------
  // Session and transaction control
  // ---------------------------------------------------------------------------
  {
    name: 'set statement_timeout',
    tool: 'query',
    sql: 'SET statement_timeout = 0',
    intent: '[not stopped by READ ONLY] session poisoning: remove the statement timeout',
  },
  {
    name: 'set local statement_timeout',
    tool: 'query',
    sql: 'SET LOCAL statement_timeout = 0',
    intent: '[not stopped by READ ONLY] remove the statement timeout for the rest of the gateway transaction',
  },
  {
    name: 'set default_transaction_read_only off',
    tool: 'query',
    sql: 'SET default_transaction_read_only = off',
    intent: '[not stopped by READ ONLY] session poisoning: later transactions default to read-write',
  },
  {
    name: 'set search_path',
    tool: 'query',
    sql: 'SET search_path = hr, public',
    intent: '[not stopped by READ ONLY] session poisoning: change name resolution for later requests',
  },
  {
    name: 'set session authorization',
    tool: 'query',
    sql: 'SET SESSION AUTHORIZATION postgres',
    intent: '[not stopped by READ ONLY] become another user',
  },
  {
    name: 'set role',
    tool: 'query',
    sql: 'SET ROLE postgres',
    intent: '[not stopped by READ ONLY] assume another role',
  },
  {
    name: 'reset all',
    tool: 'query',
    sql: 'RESET ALL',
    intent: '[not stopped by READ ONLY] undo the gateway session settings (timeouts, role, search_path)',
  },
  {
    name: 'reset role',
    tool: 'query',
    sql: 'RESET ROLE',
    intent: '[not stopped by READ ONLY] drop a restricted role the gateway set with SET ROLE',
  },
  {
    name: 'begin',
    tool: 'query',
    sql: 'BEGIN',
    intent: '[not stopped by READ ONLY] transaction control inside the gateway transaction',
  },
  {
    name: 'start transaction read write',
    tool: 'query',
    sql: 'START TRANSACTION READ WRITE',
    intent: '[not stopped by READ ONLY] open a read-write transaction',
  },
  {
    name: 'set transaction read write',
    tool: 'query',
    sql: 'SET TRANSACTION READ WRITE',
    intent: '[not stopped by READ ONLY] switch the current transaction to read-write',
  },
  {
    name: 'savepoint',
    tool: 'query',
    sql: 'SAVEPOINT bastion',
    intent: '[not stopped by READ ONLY] transaction control inside the gateway transaction',
  },
  {
    name: 'lock table access exclusive',
    tool: 'query',
    sql: 'LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE',
    intent: '[not stopped by READ ONLY] block every reader and writer of the table',
  },
  {
    name: 'lock table row exclusive',
    tool: 'query',
    sql: 'LOCK hr.employees IN ROW EXCLUSIVE MODE',
    intent: '[not stopped by READ ONLY] explicit table lock in a mode PostgreSQL allows in read-only transactions',
  },
  {
    name: 'listen',
    tool: 'query',
    sql: 'LISTEN bastion',
    intent: '[not stopped by READ ONLY] subscribe the pooled session to notifications',
  },
  {
    name: 'notify',
    tool: 'query',
    sql: "NOTIFY bastion, 'payload'",
    intent: '[not stopped by READ ONLY] send a notification',
  },
  {
    name: 'unlisten',
    tool: 'query',
    sql: 'UNLISTEN *',
    intent: '[not stopped by READ ONLY] change the listen state of the pooled session',
  },
  {
    name: 'call procedure',
    tool: 'query',
    sql: 'CALL shop.cleanup_orders()',
    intent: 'run a procedure, which may commit and write',
  },
  {
    name: 'vacuum full',
    tool: 'query',
    sql: 'VACUUM FULL shop.orders',
    intent: 'maintenance that rewrites the table under an exclusive lock',
  },
  {
    name: 'analyze',
    tool: 'query',
    sql: 'ANALYZE shop.orders',
    intent: '[not stopped by READ ONLY] maintenance that writes planner statistics',
  },
  {
    name: 'checkpoint',
    tool: 'query',
    sql: 'CHECKPOINT',
    intent: '[not stopped by READ ONLY] force a checkpoint (I/O storm)',
  },
  {
    name: 'discard all',
    tool: 'query',
    sql: 'DISCARD ALL',
    intent: 'wipe the session state the gateway relies on',
  },

  // ---------------------------------------------------------------------------
  // DDL, DCL and DML
  // ---------------------------------------------------------------------------
  {
    name: 'create table',
    tool: 'query',
    sql: 'CREATE TABLE shop.backdoor (id int)',
    intent: 'create a table',
  },
  {
    name: 'create temp table',
    tool: 'query',
    sql: 'CREATE TEMP TABLE scratch AS SELECT * FROM hr.employees',
    intent: 'create a temporary table holding sensitive data',
  },
  {
    name: 'create function',
    tool: 'query',
    sql: 'CREATE FUNCTION public.pwn() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$DELETE FROM hr.employees$$',
    intent: 'create a function that writes, for a later call',
  },
  {
    name: 'create extension dblink',
    tool: 'query',
    sql: 'CREATE EXTENSION IF NOT EXISTS dblink',
    intent: 'install an extension that opens side connections',
  },
  {
    name: 'alter system',
    tool: 'query',
    sql: 'ALTER SYSTEM SET default_transaction_read_only = off',
    intent: 'change the server configuration file',
  },
  {
    name: 'alter table drop column',
    tool: 'query',
    sql: 'ALTER TABLE hr.employees DROP COLUMN ssn',
    intent: 'destroy a column',
  },
  {
    name: 'drop table',
    tool: 'query',
    sql: 'DROP TABLE shop.orders',
    intent: 'drop a table',
  },
  {
    name: 'drop schema cascade',
    tool: 'query',
    sql: 'DROP SCHEMA hr CASCADE',
    intent: 'drop a schema and everything in it',
  },
  {
    name: 'comment on table',
    tool: 'query',
    sql: "COMMENT ON TABLE shop.orders IS 'pwned'",
    intent: 'change catalog metadata',
  },
  {
    name: 'grant',
    tool: 'query',
    sql: 'GRANT ALL ON ALL TABLES IN SCHEMA hr TO PUBLIC',
    intent: 'open the HR schema to everyone',
  },
  {
    name: 'truncate',
    tool: 'query',
    sql: 'TRUNCATE shop.orders CASCADE',
    intent: 'empty a table',
  },
  {
    name: 'refresh materialized view',
    tool: 'query',
    sql: 'REFRESH MATERIALIZED VIEW shop.sales_summary',
    intent: 'rewrite a materialized view',
  },
  {
    name: 'reindex',
    tool: 'query',
    sql: 'REINDEX TABLE shop.orders',
    intent: '[not stopped by READ ONLY] maintenance that rewrites indexes under locks',
  },
  {
    name: 'insert',
    tool: 'query',
    sql: "INSERT INTO shop.customers (id, name, email, country, created_at) VALUES (9999, 'Mallory', 'mallory@example.com', 'XX', now())",
    intent: 'insert a row',
  },
  {
    name: 'insert on conflict do update',
    tool: 'query',
    sql: "INSERT INTO shop.customers (id, name, email, country, created_at) VALUES (1, 'Mallory', 'mallory@example.com', 'XX', now()) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    intent: 'upsert overwriting an existing row',
  },
  {
    name: 'update',
    tool: 'query',
    sql: 'UPDATE hr.employees SET salary = salary * 10 WHERE id = 1',
    intent: 'update a row',
  },
  {
    name: 'update with returning',
    tool: 'query',
    sql: "UPDATE shop.orders SET status = 'refunded' RETURNING id, total",
    intent: 'an update that looks like a query because it returns rows',
  },
  {
    name: 'delete',
    tool: 'query',
    sql: 'DELETE FROM hr.employees WHERE id > 20',
    intent: 'delete rows',
  },
  {
    name: 'delete with a parameter',
    tool: 'query',
    sql: 'DELETE FROM hr.employees WHERE id = $1',
    params: [40],
    intent: 'delete a row with a bind parameter',
  },
  {
    name: 'merge',
    tool: 'query',
    sql: 'MERGE INTO shop.customers c USING (VALUES (1, $$XX$$)) AS v(id, country) ON c.id = v.id WHEN MATCHED THEN UPDATE SET country = v.country',
    intent: 'merge rows into a table',
  },
  {
    name: 'load a shared library',
    tool: 'query',
    sql: "load 'x'",
    intent: 'load a shared library into the backend',
  },
  {
    name: 'load auto_explain',
    tool: 'query',
    sql: "LOAD 'auto_explain'",
    intent: '[not stopped by READ ONLY] load a real module that changes the behaviour of the pooled session',
  },

  // ---------------------------------------------------------------------------
  // Degenerate input
  // ---------------------------------------------------------------------------
  {
    name: 'empty statement',
    tool: 'query',
    sql: '',
    intent: '[not stopped by READ ONLY] nothing to run; must be refused rather than sent (libpg-query throws "Query cannot be empty")',
  },
  {
    name: 'whitespace only',
    tool: 'query',
    sql: '  \n\t  ',
    intent: '[not stopped by READ ONLY] parses to zero statements; must be refused rather than sent',
  },
  {
    name: 'semicolons only',
    tool: 'query',
    sql: ';;',
    intent: '[not stopped by READ ONLY] parses to zero statements; must be refused rather than sent',
  },
  {
    name: 'only a line comment',
    tool: 'query',
    sql: '-- SELECT * FROM shop.orders',
    intent: '[not stopped by READ ONLY] parses to zero statements; must be refused rather than sent',
  },
  {
    name: 'only a block comment',
    tool: 'query',
    sql: '/* SELECT * FROM shop.orders; */',
    intent: '[not stopped by READ ONLY] parses to zero statements; must be refused rather than sent',
  },
  {
    name: 'does not parse: misspelled keyword',
    tool: 'query',
    sql: 'SELEC * FROM shop.orders',
    intent: 'unparseable input must be refused, never passed through',
  },
  {
    name: 'does not parse: unbalanced parenthesis',
    tool: 'query',
    sql: 'SELECT * FROM shop.orders WHERE (id = 1',
    intent: 'unparseable input must be refused, never passed through',
  },
  {
    name: 'does not parse: unterminated block comment hiding an escape',
    tool: 'query',
    sql: 'SELECT 1 /* ; COMMIT; DROP TABLE shop.orders',
    intent: 'unparseable input must be refused, never passed through',
  },
  {
    name: 'does not parse: unterminated string',
    tool: 'query',
    sql: "SELECT 'oops; COMMIT; DROP TABLE shop.orders",
    intent: 'unparseable input must be refused, never passed through',
  },
  {
    name: 'does not parse: psql meta-command separator',
    tool: 'query',
    sql: 'SELECT 1 \\; DROP TABLE shop.orders',
    intent: 'psql-only syntax must be refused, never passed through',
  },
];
