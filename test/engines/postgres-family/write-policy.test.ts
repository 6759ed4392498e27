/**
 * The write policy on PostgreSQL's own parse tree: `execute` takes exactly one
 * INSERT, UPDATE, DELETE or MERGE, `change_schema` one schema change on an object
 * named with the prefix. Each attack below is refused before any database sees it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../../src/errors/codes.js';
import { SqlPolicy } from '../../../src/engines/postgres-family/policy/policy.js';
import type { CheckedDdl, CheckedDml, WriteTool } from '../../../src/engine/policy.js';
import { parseSql } from '../../../src/engines/postgres-family/policy/parse.js';

const OPTIONS = { prefix: 'ai_', allowUnbounded: false };

let policy: SqlPolicy;
beforeAll(async () => {
  policy = await SqlPolicy.create();
});

function verdict(sql: string, tool: WriteTool, options = OPTIONS): string {
  try {
    policy.checkWriteStatement(sql, tool, options);
    return 'ALLOWED';
  } catch (error) {
    if (error instanceof BastionError) return error.code;
    throw error;
  }
}

function dml(sql: string, options = OPTIONS): CheckedDml {
  const checked = policy.checkWriteStatement(sql, 'execute', options);
  if (checked.tool !== 'execute') throw new Error('expected DML');
  return checked;
}

function ddl(sql: string): CheckedDdl {
  const checked = policy.checkWriteStatement(sql, 'change_schema', OPTIONS);
  if (checked.tool !== 'change_schema') throw new Error('expected DDL');
  return checked;
}

const REFUSED = new Set(['SQL_PARSE_ERROR', 'SQL_MULTIPLE_STATEMENTS', 'SQL_NOT_READ_ONLY', 'SQL_FUNCTION_DENIED', 'SQL_FEATURE_DENIED', 'DENIED_BY_POLICY', 'WRITE_NOT_ALLOWED']);

describe('execute: the issue\'s bypass attempts are refused', () => {
  it.each([
    ['a data-modifying CTE feeding an INSERT', 'WITH d AS (DELETE FROM t RETURNING *) INSERT INTO ai_log SELECT * FROM d', 'SQL_NOT_READ_ONLY'],
    ['a data-modifying CTE inside the INSERT\'s SELECT', 'INSERT INTO ai_log WITH d AS (UPDATE t SET a = 1 WHERE id = 1 RETURNING *) SELECT * FROM d', 'SQL_NOT_READ_ONLY'],
    ['a DML CTE in a subquery of UPDATE', 'UPDATE t SET a = (WITH d AS (DELETE FROM u RETURNING 1) SELECT count(*) FROM d) WHERE id = 1', 'SQL_NOT_READ_ONLY'],
    ['UPDATE without WHERE', 'UPDATE t SET a = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE without WHERE', 'DELETE FROM t', 'WRITE_NOT_ALLOWED'],
    ['UPDATE with WHERE true', 'UPDATE t SET a = 1 WHERE true', 'WRITE_NOT_ALLOWED'],
    ['DELETE with WHERE 1 = 1', 'DELETE FROM t WHERE 1 = 1', 'WRITE_NOT_ALLOWED'],
    ['MERGE ON true that deletes every row', 'MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE', 'WRITE_NOT_ALLOWED'],
    ['MERGE from an empty source deleting every unmatched row', 'MERGE INTO t USING (SELECT 1 AS id WHERE false) s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE', 'WRITE_NOT_ALLOWED'],
    ['a file read in INSERT ... SELECT', "INSERT INTO t SELECT pg_read_file('/etc/passwd')", 'SQL_FUNCTION_DENIED'],
    ['a file read in VALUES', "INSERT INTO t (a) VALUES (pg_read_file('/etc/passwd'))", 'SQL_FUNCTION_DENIED'],
    ['a sleep in WHERE', 'DELETE FROM t WHERE id = 1 AND pg_sleep(10) IS NOT NULL', 'SQL_FUNCTION_DENIED'],
    ['a setting change in SET', "UPDATE t SET a = set_config('role', 'postgres', false) WHERE id = 1", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in ON CONFLICT DO UPDATE', "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a = pg_read_file('/x')", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in ON CONFLICT ... WHERE', "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1 WHERE pg_sleep(1) IS NULL", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in RETURNING', "INSERT INTO t (id) VALUES (1) RETURNING pg_read_file('/etc/passwd')", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in UPDATE ... FROM', 'UPDATE t SET a = f.x FROM pg_ls_dir(\'/\') AS f(x) WHERE t.id = 1', 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in DELETE ... USING', "DELETE FROM t USING (SELECT pg_read_file('/x') AS y) s WHERE t.a = s.y", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in MERGE ... WHEN', "MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN UPDATE SET a = pg_read_file('/x')", 'SQL_FUNCTION_DENIED'],
    ['a dangerous function in a MERGE condition', 'MERGE INTO t USING u ON t.id = u.id WHEN MATCHED AND pg_sleep(1) IS NULL THEN DELETE', 'SQL_FUNCTION_DENIED'],
    ['nextval on someone else\'s sequence', "INSERT INTO ai_t (id) VALUES (nextval('customers_id_seq'))", 'SQL_FUNCTION_DENIED'],
    ['a write into the system catalogs', "UPDATE pg_catalog.pg_authid SET rolsuper = true WHERE rolname = 'me'", 'WRITE_NOT_ALLOWED'],
    ['a write into information_schema', 'DELETE FROM information_schema.sql_features WHERE true', 'WRITE_NOT_ALLOWED'],
    ['a write into pg_toast', 'DELETE FROM pg_toast.pg_toast_1 WHERE chunk_id = 1', 'WRITE_NOT_ALLOWED'],
    ['a write into another database', 'INSERT INTO otherdb.public.t VALUES (1)', 'SQL_FEATURE_DENIED'],
    ['a row lock in the SELECT of an INSERT', 'INSERT INTO ai_t SELECT * FROM t FOR UPDATE', 'SQL_NOT_READ_ONLY'],
    ['SELECT INTO in the SELECT of an INSERT', 'INSERT INTO ai_t SELECT * INTO x FROM t', 'SQL_NOT_READ_ONLY'],
    ['a credentials catalog read into a table', 'INSERT INTO ai_t SELECT rolpassword FROM pg_authid', 'DENIED_BY_POLICY'],
    ['stacked statements', 'INSERT INTO t VALUES (1); DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
    ['a write hidden after a harmless one', "UPDATE t SET a = 1 WHERE id = 1; COPY t TO '/tmp/x'", 'SQL_MULTIPLE_STATEMENTS'],
    ['a RETURNING WITH (OLD AS ...) clause', 'UPDATE t SET a = 1 WHERE id = 1 RETURNING WITH (OLD AS o) o.a', 'SQL_FEATURE_DENIED'],
    ['an operator from a user schema', 'DELETE FROM t WHERE a OPERATOR(public.===) 1', 'SQL_FUNCTION_DENIED'],
  ])('%s', (_name, sql, code) => {
    expect(verdict(sql, 'execute')).toBe(code);
  });

  it.each([
    ['SELECT', 'SELECT * FROM t'],
    ['SELECT INTO', 'SELECT * INTO ai_t FROM t'],
    ['CREATE TABLE', 'CREATE TABLE ai_t (a int)'],
    ['TRUNCATE', 'TRUNCATE t'],
    ['COPY', "COPY t FROM '/etc/passwd'"],
    ['DO', "DO $$BEGIN DELETE FROM t; END$$"],
    ['CALL', 'CALL p()'],
    ['EXPLAIN ANALYZE of a DELETE', 'EXPLAIN ANALYZE DELETE FROM t WHERE id = 1'],
    ['SET', 'SET role postgres'],
    ['transaction control', 'COMMIT'],
    ['LOCK', 'LOCK TABLE t'],
  ])('a statement that is not DML is refused: %s', (_name, sql) => {
    expect(verdict(sql, 'execute')).toBe('WRITE_NOT_ALLOWED');
  });
});

describe('execute: everyday changes pass and say what they touch', () => {
  it.each([
    ['a plain insert', "INSERT INTO shop.orders (customer_id, total) VALUES (1, 9.99)"],
    ['a parameterised insert', 'INSERT INTO shop.orders (customer_id, total) VALUES ($1, $2)'],
    ['a multi-row insert with DEFAULT', 'INSERT INTO t (a, b) VALUES (1, DEFAULT), (2, now())'],
    ['INSERT DEFAULT VALUES', 'INSERT INTO t DEFAULT VALUES'],
    ['INSERT ... SELECT with a CTE', 'WITH src AS (SELECT id, name FROM shop.customers WHERE id < 10) INSERT INTO ai_copy (id, name) SELECT id, name FROM src'],
    ['an upsert', 'INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a WHERE t.a IS DISTINCT FROM EXCLUDED.a'],
    ['an upsert on a constraint', 'INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING'],
    ['OVERRIDING SYSTEM VALUE', 'INSERT INTO t (id) OVERRIDING SYSTEM VALUE VALUES (5)'],
    ['an update with WHERE', "UPDATE shop.orders SET status = 'shipped', updated_at = now() WHERE id = $1"],
    ['a multi-column update', 'UPDATE t SET (a, b) = (SELECT 1, 2) WHERE id = 1'],
    ['SET ... = DEFAULT', 'UPDATE t SET a = DEFAULT WHERE id = 1'],
    ['UPDATE ... FROM', 'UPDATE t SET a = u.a FROM u WHERE t.id = u.id'],
    ['DELETE ... USING', 'DELETE FROM t USING u WHERE t.id = u.id AND u.flag'],
    ['a delete with a subquery', 'DELETE FROM t WHERE id IN (SELECT id FROM u WHERE created < now() - interval \'1 day\')'],
    ['MERGE', 'MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN UPDATE SET a = u.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (u.id, u.a)'],
    ['MERGE ... NOT MATCHED BY SOURCE with a condition', 'MERGE INTO t USING u ON t.id = u.id WHEN NOT MATCHED BY SOURCE AND t.archived THEN DELETE'],
    ['MERGE from a CTE', 'WITH s AS (SELECT 1 AS id) MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)'],
    ['an update with RETURNING', 'UPDATE t SET a = a + 1 WHERE id = 1 RETURNING id, a'],
  ])('allows %s', (_name, sql) => {
    expect(verdict(sql, 'execute')).toBe('ALLOWED');
  });

  it('reports the target as written (folded by the parser) and not as a read', () => {
    const checked = dml('UPDATE Shop."Orders" AS o SET total = 0 WHERE o.id = 1');
    expect(checked.command).toBe('update');
    expect(checked.target).toEqual({ schema: 'shop', name: 'Orders', alias: 'o' });
    expect(checked.reads.relations).toEqual([]);
  });

  it('records every relation the statement reads, CTE names excluded', () => {
    const checked = dml('WITH s AS (SELECT id FROM shop.customers) INSERT INTO ai_t (id) SELECT s.id FROM s JOIN hr.employees e ON e.id = s.id WHERE EXISTS (SELECT 1 FROM shop.orders)');
    expect(checked.reads.relations.map((r) => `${r.schema}.${r.name}`).sort()).toEqual(['hr.employees', 'shop.customers', 'shop.orders']);
  });

  it('a table named like a CTE of the same statement is still the real target', () => {
    const checked = dml('WITH t AS (SELECT 1 AS id) DELETE FROM t WHERE id IN (SELECT id FROM t)');
    expect(checked.target.name).toBe('t');
    // the subquery's `t` is the CTE: not a read of the table
    expect(checked.reads.relations).toEqual([]);
  });

  it('counts $n parameters everywhere in the statement', () => {
    expect(dml('UPDATE t SET a = $2 WHERE id = $1 RETURNING $3::int').paramCount).toBe(3);
    expect(dml('INSERT INTO t VALUES ($1) ON CONFLICT (id) DO UPDATE SET a = $4').paramCount).toBe(4);
  });

  it('writes.allow_unbounded lifts the WHERE requirement', () => {
    const unbounded = { prefix: 'ai_', allowUnbounded: true };
    expect(verdict('UPDATE t SET a = 1', 'execute', unbounded)).toBe('ALLOWED');
    expect(verdict('DELETE FROM t', 'execute', unbounded)).toBe('ALLOWED');
    // ... and nothing else
    expect(verdict("DELETE FROM t WHERE pg_sleep(1) IS NULL", 'execute', unbounded)).toBe('SQL_FUNCTION_DENIED');
  });
});

describe('execute: the preview statement', () => {
  it('appends RETURNING * on a new line, so a trailing -- comment cannot swallow it', () => {
    const checked = dml('DELETE FROM t WHERE id = 1 -- tidy up');
    expect(checked.hasReturning).toBe(false);
    expect(checked.sampleSql).toBe('DELETE FROM t WHERE id = 1 -- tidy up\nRETURNING *');
    const reparsed = parseSql(checked.sampleSql ?? '').stmts ?? [];
    expect(reparsed).toHaveLength(1);
    expect(JSON.stringify(reparsed[0])).toContain('returningClause');
  });

  it('keeps a statement that has RETURNING as it is', () => {
    const sql = 'INSERT INTO t (a) VALUES (1) RETURNING id';
    const checked = dml(sql);
    expect(checked.hasReturning).toBe(true);
    expect(checked.sampleSql).toBe(sql);
  });

  it('leaves out a trailing semicolon and what follows it', () => {
    expect(dml('INSERT INTO t VALUES (1); -- done').sampleSql).toBe('INSERT INTO t VALUES (1)\nRETURNING *');
    expect(dml("/* why */ UPDATE t SET a = 'é' WHERE id = 1;").sampleSql).toBe("/* why */ UPDATE t SET a = 'é' WHERE id = 1\nRETURNING *");
  });

  it('returns only the target\'s columns when the statement reads other tables too', () => {
    expect(dml('UPDATE t AS x SET a = u.a FROM u WHERE x.id = u.id').sampleSql).toBe('UPDATE t AS x SET a = u.a FROM u WHERE x.id = u.id\nRETURNING "x".*');
    expect(dml('DELETE FROM "T" USING u WHERE "T".id = u.id').sampleSql).toMatch(/\nRETURNING "T"\.\*$/);
  });

  it('MERGE gets a preview that needs PostgreSQL 17+', () => {
    const checked = dml('MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE');
    expect(checked.sampleNeedsPg17).toBe(true);
    expect(checked.sampleSql).toMatch(/\nRETURNING "t"\.\*$/);
    expect(dml('DELETE FROM t WHERE id = 1').sampleNeedsPg17).toBe(false);
  });
});

describe('change_schema: the issue\'s bypass attempts are refused', () => {
  it.each([
    ['a multi-object DROP with a foreign table', 'DROP TABLE ai_x, customers', 'WRITE_NOT_ALLOWED'],
    ['a multi-object DROP even when all are owned', 'DROP TABLE ai_x, ai_y', 'WRITE_NOT_ALLOWED'],
    ['DROP ... CASCADE', 'DROP TABLE ai_x CASCADE', 'WRITE_NOT_ALLOWED'],
    ['DROP of a foreign table', 'DROP TABLE customers', 'WRITE_NOT_ALLOWED'],
    ['DROP of a foreign schema-qualified table', 'DROP TABLE IF EXISTS shop.orders', 'WRITE_NOT_ALLOWED'],
    ['DROP INDEX CONCURRENTLY', 'DROP INDEX CONCURRENTLY ai_i', 'WRITE_NOT_ALLOWED'],
    ['renaming an owned table to a foreign name', 'ALTER TABLE ai_x RENAME TO customers', 'WRITE_NOT_ALLOWED'],
    ['renaming a foreign table to an owned name', 'ALTER TABLE customers RENAME TO ai_customers', 'WRITE_NOT_ALLOWED'],
    ['renaming a column of a foreign table', 'ALTER TABLE customers RENAME COLUMN email TO ai_email', 'WRITE_NOT_ALLOWED'],
    ['altering a foreign table', 'ALTER TABLE customers ADD COLUMN x int', 'WRITE_NOT_ALLOWED'],
    ['a quoted name that only looks prefixed', 'CREATE TABLE "AI_X" (a int)', 'WRITE_NOT_ALLOWED'],
    ['an index on a foreign table', 'CREATE INDEX ai_i ON customers (id)', 'WRITE_NOT_ALLOWED'],
    ['an unnamed index', 'CREATE INDEX ON ai_t (id)', 'WRITE_NOT_ALLOWED'],
    ['a foreign index name', 'CREATE INDEX customers_idx ON ai_t (id)', 'WRITE_NOT_ALLOWED'],
    ['CREATE INDEX CONCURRENTLY', 'CREATE INDEX CONCURRENTLY ai_i ON ai_t (id)', 'WRITE_NOT_ALLOWED'],
    ['a DEFAULT that reads a file', "CREATE TABLE ai_t (x text DEFAULT pg_read_file('/etc/passwd'))", 'SQL_FUNCTION_DENIED'],
    ['a DEFAULT on someone else\'s sequence', "CREATE TABLE ai_t (id bigint DEFAULT nextval('customers_id_seq'))", 'SQL_FUNCTION_DENIED'],
    ['a CHECK calling a dangerous function', "CREATE TABLE ai_t (x int CHECK (pg_sleep(1) IS NULL))", 'SQL_FUNCTION_DENIED'],
    ['a generated column calling a dangerous function', "CREATE TABLE ai_t (x text GENERATED ALWAYS AS (pg_read_file('/x')) STORED)", 'SQL_FUNCTION_DENIED'],
    ['an index expression calling a dangerous function', "CREATE INDEX ai_i ON ai_t (pg_read_file(name))", 'SQL_FUNCTION_DENIED'],
    ['an index predicate calling a dangerous function', "CREATE INDEX ai_i ON ai_t (id) WHERE pg_sleep(1) IS NULL", 'SQL_FUNCTION_DENIED'],
    ['ALTER COLUMN SET DEFAULT with a dangerous function', "ALTER TABLE ai_t ALTER COLUMN x SET DEFAULT pg_read_file('/x')", 'SQL_FUNCTION_DENIED'],
    ['ALTER COLUMN TYPE ... USING a dangerous function', "ALTER TABLE ai_t ALTER COLUMN x TYPE text USING pg_read_file('/x')", 'SQL_FUNCTION_DENIED'],
    ['ADD COLUMN with a dangerous default', "ALTER TABLE ai_t ADD COLUMN y text DEFAULT pg_read_file('/x')", 'SQL_FUNCTION_DENIED'],
    ['INHERITS a foreign table', 'CREATE TABLE ai_t () INHERITS (customers)', 'WRITE_NOT_ALLOWED'],
    ['PARTITION OF a foreign table', "CREATE TABLE ai_p PARTITION OF customers FOR VALUES IN ('x')", 'WRITE_NOT_ALLOWED'],
    ['OWNER TO', 'ALTER TABLE ai_x OWNER TO postgres', 'WRITE_NOT_ALLOWED'],
    ['SET TABLESPACE', 'ALTER TABLE ai_x SET TABLESPACE pg_default', 'WRITE_NOT_ALLOWED'],
    ['ENABLE ROW LEVEL SECURITY', 'ALTER TABLE ai_x ENABLE ROW LEVEL SECURITY', 'WRITE_NOT_ALLOWED'],
    ['DISABLE TRIGGER', 'ALTER TABLE ai_x DISABLE TRIGGER ALL', 'WRITE_NOT_ALLOWED'],
    ['ATTACH PARTITION', "ALTER TABLE ai_x ATTACH PARTITION customers FOR VALUES IN ('x')", 'WRITE_NOT_ALLOWED'],
    ['DETACH PARTITION', 'ALTER TABLE ai_x DETACH PARTITION customers', 'WRITE_NOT_ALLOWED'],
    ['one forbidden command among allowed ones', 'ALTER TABLE ai_x ADD COLUMN y int, OWNER TO postgres', 'WRITE_NOT_ALLOWED'],
    ['DROP COLUMN ... CASCADE', 'ALTER TABLE ai_x DROP COLUMN y CASCADE', 'WRITE_NOT_ALLOWED'],
    ['a foreign key to a foreign table', 'ALTER TABLE ai_x ADD FOREIGN KEY (c) REFERENCES customers (id)', 'WRITE_NOT_ALLOWED'],
    ['a column foreign key to a foreign table', 'CREATE TABLE ai_t (c int REFERENCES shop.customers (id))', 'WRITE_NOT_ALLOWED'],
    ['SET SCHEMA into a system schema', 'ALTER TABLE ai_x SET SCHEMA pg_catalog', 'WRITE_NOT_ALLOWED'],
    ['SET SCHEMA of a foreign table', 'ALTER TABLE customers SET SCHEMA public', 'WRITE_NOT_ALLOWED'],
    ['a table in the system catalog', 'CREATE TABLE pg_catalog.ai_t (a int)', 'WRITE_NOT_ALLOWED'],
    ['COMMENT ON a foreign table', "COMMENT ON TABLE customers IS 'mine now'", 'WRITE_NOT_ALLOWED'],
    ['COMMENT ON a column of a foreign table', "COMMENT ON COLUMN customers.email IS 'x'", 'WRITE_NOT_ALLOWED'],
    ['REFRESH of a foreign materialized view', 'REFRESH MATERIALIZED VIEW sales_summary', 'WRITE_NOT_ALLOWED'],
    ['a view over a credentials catalog', 'CREATE VIEW ai_v AS SELECT rolname, rolpassword FROM pg_authid', 'DENIED_BY_POLICY'],
    ['a view calling a dangerous function', "CREATE VIEW ai_v AS SELECT pg_read_file('/etc/passwd') AS f", 'SQL_FUNCTION_DENIED'],
    ['a view with a data-modifying CTE', 'CREATE VIEW ai_v AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'SQL_NOT_READ_ONLY'],
    ['CREATE TABLE AS with a dangerous function', "CREATE TABLE ai_t AS SELECT pg_ls_dir('/') AS f", 'SQL_FUNCTION_DENIED'],
    ['CREATE TABLE AS EXECUTE', 'CREATE TABLE ai_t AS EXECUTE stolen', 'WRITE_NOT_ALLOWED'],
    ['SELECT INTO', 'SELECT * INTO ai_t FROM customers', 'WRITE_NOT_ALLOWED'],
    ['a TEMP table', 'CREATE TEMP TABLE ai_t (a int)', 'WRITE_NOT_ALLOWED'],
    ['a TEMP view', 'CREATE TEMP VIEW ai_v AS SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['LIKE ... INCLUDING ALL (copies defaults)', 'CREATE TABLE ai_t (LIKE customers INCLUDING ALL)', 'SQL_FEATURE_DENIED'],
    ['LIKE ... INCLUDING DEFAULTS', 'CREATE TABLE ai_t (LIKE customers INCLUDING DEFAULTS)', 'SQL_FEATURE_DENIED'],
    ['a tablespace', 'CREATE TABLE ai_t (a int) TABLESPACE pg_global', 'SQL_FEATURE_DENIED'],
    ['an extension index method', 'CREATE INDEX ai_i ON ai_t USING bloom (a)', 'SQL_FEATURE_DENIED'],
    ['an EXCLUDE constraint', 'CREATE TABLE ai_t (a int, EXCLUDE USING gist (a WITH =))', 'SQL_FEATURE_DENIED'],
    ['an identity on a sequence named elsewhere', 'CREATE TABLE ai_t (id int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME customers_id_seq))', 'SQL_FEATURE_DENIED'],
    ['a parameter', 'CREATE VIEW ai_v AS SELECT $1::int AS a', 'SQL_FEATURE_DENIED'],
    ['stacked statements', 'CREATE TABLE ai_t (a int); DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
    ['a DML statement', 'DELETE FROM ai_t WHERE a = 1', 'WRITE_NOT_ALLOWED'],
  ])('%s', (_name, sql, code) => {
    expect(verdict(sql, 'change_schema')).toBe(code);
  });

  it.each([
    ['TRUNCATE', 'TRUNCATE ai_t'],
    ['GRANT', 'GRANT ALL ON ai_t TO public'],
    ['REVOKE', 'REVOKE SELECT ON ai_t FROM public'],
    ['GRANT of a role', 'GRANT pg_read_server_files TO me'],
    ['CREATE ROLE', 'CREATE ROLE ai_admin SUPERUSER'],
    ['CREATE USER', "CREATE USER ai_u PASSWORD 'x'"],
    ['ALTER ROLE', 'ALTER ROLE ai_u SUPERUSER'],
    ['DROP ROLE', 'DROP ROLE ai_u'],
    ['ALTER SYSTEM', "ALTER SYSTEM SET log_statement = 'none'"],
    ['CREATE EXTENSION', 'CREATE EXTENSION ai_ext'],
    ['DROP EXTENSION', 'DROP EXTENSION plpgsql'],
    ['CREATE FUNCTION', "CREATE FUNCTION ai_f() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
    ['CREATE PROCEDURE', "CREATE PROCEDURE ai_p() LANGUAGE sql AS 'SELECT 1'"],
    ['DROP FUNCTION', 'DROP FUNCTION ai_f()'],
    ['CREATE TRIGGER', 'CREATE TRIGGER ai_trg BEFORE INSERT ON ai_t FOR EACH ROW EXECUTE FUNCTION ai_f()'],
    ['DROP TRIGGER', 'DROP TRIGGER ai_trg ON ai_t'],
    ['CREATE RULE', 'CREATE RULE ai_r AS ON INSERT TO ai_t DO INSTEAD NOTHING'],
    ['CREATE POLICY', 'CREATE POLICY ai_p ON ai_t USING (true)'],
    ['DO', "DO $$BEGIN PERFORM 1; END$$"],
    ['CREATE SCHEMA', 'CREATE SCHEMA ai_s'],
    ['DROP SCHEMA', 'DROP SCHEMA ai_s'],
    ['CREATE DATABASE', 'CREATE DATABASE ai_db'],
    ['CREATE TABLESPACE', "CREATE TABLESPACE ai_ts LOCATION '/tmp'"],
    ['CREATE SEQUENCE', 'CREATE SEQUENCE ai_seq'],
    ['ALTER SEQUENCE of someone else', 'ALTER SEQUENCE customers_id_seq RESTART'],
    ['DROP SEQUENCE', 'DROP SEQUENCE ai_seq'],
    ['CREATE EVENT TRIGGER', 'CREATE EVENT TRIGGER ai_e ON ddl_command_start EXECUTE FUNCTION ai_f()'],
    ['CREATE PUBLICATION', 'CREATE PUBLICATION ai_pub FOR ALL TABLES'],
    ['CREATE SUBSCRIPTION', "CREATE SUBSCRIPTION ai_sub CONNECTION 'host=evil' PUBLICATION p"],
    ['CREATE SERVER', 'CREATE SERVER ai_srv FOREIGN DATA WRAPPER postgres_fdw'],
    ['CREATE FOREIGN TABLE', 'CREATE FOREIGN TABLE ai_ft (a int) SERVER s'],
    ['CREATE TYPE', 'CREATE TYPE ai_ty AS (a int)'],
    ['SET', 'SET search_path = evil'],
    ['RESET', 'RESET ALL'],
    ['BEGIN', 'BEGIN'],
    ['COMMIT', 'COMMIT'],
    ['COPY', "COPY ai_t FROM '/etc/passwd'"],
    ['VACUUM', 'VACUUM ai_t'],
    ['REINDEX', 'REINDEX TABLE ai_t'],
    ['CLUSTER', 'CLUSTER ai_t USING ai_i'],
    ['LOCK', 'LOCK TABLE ai_t'],
    ['SECURITY LABEL', "SECURITY LABEL ON TABLE ai_t IS 'x'"],
    ['ALTER DEFAULT PRIVILEGES', 'ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO public'],
    ['a SELECT', 'SELECT 1'],
  ])('a statement class that is never allowed is refused whatever its name: %s', (_name, sql) => {
    expect(REFUSED.has(verdict(sql, 'change_schema'))).toBe(true);
    expect(verdict(sql, 'change_schema')).not.toBe('ALLOWED');
  });
});

describe('change_schema: changes to owned objects pass and say what they act on', () => {
  it.each([
    ['a table with constraints and defaults', "CREATE TABLE ai_t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL DEFAULT '', created_at timestamptz DEFAULT now(), qty int CHECK (qty >= 0), code varchar(10) COLLATE \"C\" UNIQUE, parent bigint REFERENCES ai_t (id) ON DELETE CASCADE, uid uuid DEFAULT gen_random_uuid())"],
    ['CREATE TABLE IF NOT EXISTS with table constraints', 'CREATE TABLE IF NOT EXISTS public.ai_t (a int, b int, CONSTRAINT ai_t_pk PRIMARY KEY (a), CONSTRAINT ai_t_b UNIQUE (b) DEFERRABLE INITIALLY DEFERRED, CHECK (a < b))'],
    ['a serial column', 'CREATE TABLE ai_t (id serial PRIMARY KEY)'],
    ['a generated column', 'CREATE TABLE ai_t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)'],
    ['an upper-case unquoted name (folds to ai_)', 'CREATE TABLE AI_X (a int)'],
    ['LIKE without defaults', 'CREATE TABLE ai_t (LIKE shop.customers INCLUDING CONSTRAINTS INCLUDING INDEXES)'],
    ['CREATE TABLE AS', 'CREATE TABLE ai_t AS SELECT id, name FROM shop.customers WHERE id < 100'],
    ['CREATE TABLE AS ... WITH NO DATA', 'CREATE TABLE ai_t (x, y) AS SELECT 1, 2 WITH NO DATA'],
    ['CREATE VIEW', 'CREATE VIEW ai_v AS SELECT c.name, count(o.id) AS n FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.name'],
    ['CREATE OR REPLACE VIEW with CHECK OPTION', 'CREATE OR REPLACE VIEW ai_v (a) AS SELECT id FROM ai_t WHERE id > 0 WITH CHECK OPTION'],
    ['a recursive view', 'CREATE RECURSIVE VIEW ai_r (n) AS VALUES (1) UNION ALL SELECT n + 1 FROM ai_r WHERE n < 10'],
    ['CREATE MATERIALIZED VIEW', 'CREATE MATERIALIZED VIEW ai_m AS SELECT date_trunc(\'day\', created_at) AS d, count(*) FROM shop.orders GROUP BY 1'],
    ['CREATE INDEX on an expression', 'CREATE INDEX ai_i ON ai_t (lower(name))'],
    ['CREATE UNIQUE INDEX IF NOT EXISTS with INCLUDE and a predicate', 'CREATE UNIQUE INDEX IF NOT EXISTS ai_i ON public.ai_t USING btree (code text_pattern_ops DESC NULLS LAST) INCLUDE (name) WHERE code IS NOT NULL'],
    ['a GIN index', 'CREATE INDEX ai_i ON ai_t USING gin (tags)'],
    ['COMMENT ON TABLE', "COMMENT ON TABLE ai_t IS 'scratch data for the report'"],
    ['COMMENT ON COLUMN', "COMMENT ON COLUMN public.ai_t.name IS 'display name'"],
    ['COMMENT ... IS NULL', 'COMMENT ON VIEW ai_v IS NULL'],
    ['ALTER TABLE ADD COLUMN', 'ALTER TABLE ai_t ADD COLUMN IF NOT EXISTS note text DEFAULT \'\''],
    ['ALTER TABLE with several allowed commands', 'ALTER TABLE ai_t ALTER COLUMN qty TYPE bigint USING qty::bigint, ALTER COLUMN name SET NOT NULL, ALTER COLUMN note DROP DEFAULT, DROP COLUMN IF EXISTS old, ADD CONSTRAINT ai_t_qty CHECK (qty < 1000), DROP CONSTRAINT IF EXISTS ai_t_old'],
    ['a foreign key to an owned table', 'ALTER TABLE ai_t ADD CONSTRAINT ai_fk FOREIGN KEY (parent) REFERENCES public.ai_parent (id)'],
    ['RENAME TO an owned name', 'ALTER TABLE ai_t RENAME TO ai_t2'],
    ['RENAME COLUMN in an owned table', 'ALTER TABLE ai_t RENAME COLUMN name TO title'],
    ['RENAME CONSTRAINT in an owned table', 'ALTER TABLE ai_t RENAME CONSTRAINT a TO b'],
    ['ALTER INDEX RENAME', 'ALTER INDEX ai_i RENAME TO ai_j'],
    ['ALTER VIEW RENAME', 'ALTER VIEW ai_v RENAME TO ai_w'],
    ['SET SCHEMA', 'ALTER TABLE ai_t SET SCHEMA scratch'],
    ['DROP VIEW IF EXISTS', 'DROP VIEW IF EXISTS ai_v'],
    ['DROP TABLE', 'DROP TABLE public.ai_t'],
    ['DROP INDEX', 'DROP INDEX ai_i'],
    ['DROP MATERIALIZED VIEW', 'DROP MATERIALIZED VIEW ai_m RESTRICT'],
    ['REFRESH MATERIALIZED VIEW', 'REFRESH MATERIALIZED VIEW ai_m'],
  ])('allows %s', (_name, sql) => {
    expect(verdict(sql, 'change_schema')).toBe('ALLOWED');
  });

  it('reports kind, object, index table, rename target and foreign keys', () => {
    expect(ddl('CREATE TABLE Public.AI_X (a int REFERENCES ai_parent (id))')).toMatchObject({
      kind: 'create_table',
      object: { schema: 'public', name: 'ai_x', type: 'table' },
      references: [{ schema: undefined, name: 'ai_parent' }],
      paramCount: 0,
      sampleSql: undefined,
    });
    expect(ddl('CREATE INDEX ai_i ON scratch.ai_t (a)')).toMatchObject({
      kind: 'create_index',
      object: { schema: 'scratch', name: 'ai_i', type: 'index' },
      table: { schema: 'scratch', name: 'ai_t' },
    });
    expect(ddl('ALTER MATERIALIZED VIEW ai_m RENAME TO ai_n')).toMatchObject({ kind: 'rename', object: { name: 'ai_m', type: 'materialized_view' }, newName: 'ai_n' });
    expect(ddl('ALTER TABLE ai_t RENAME COLUMN a TO b')).toMatchObject({ kind: 'rename', object: { name: 'ai_t' }, column: 'a', newName: 'b' });
    expect(ddl('ALTER TABLE ai_t SET SCHEMA scratch')).toMatchObject({ kind: 'alter', newSchema: 'scratch' });
    expect(ddl("COMMENT ON COLUMN s.ai_t.c IS 'x'")).toMatchObject({ kind: 'comment', object: { schema: 's', name: 'ai_t', type: 'table' }, column: 'c' });
    expect(ddl('DROP INDEX IF EXISTS s.ai_i')).toMatchObject({ kind: 'drop', object: { schema: 's', name: 'ai_i', type: 'index' } });
    expect(ddl('REFRESH MATERIALIZED VIEW ai_m')).toMatchObject({ kind: 'refresh', object: { name: 'ai_m', type: 'materialized_view' } });
    expect(ddl('CREATE MATERIALIZED VIEW ai_m AS SELECT 1').kind).toBe('create_matview');
    expect(ddl('CREATE TABLE ai_t AS SELECT 1').kind).toBe('create_table_as');
    expect(ddl('CREATE VIEW ai_v AS SELECT 1').kind).toBe('create_view');
  });

  it('records what a view, CREATE TABLE AS and LIKE read, for authorization', () => {
    const view = ddl('CREATE VIEW ai_v AS SELECT e.name FROM hr.employees e WHERE e.id IN (SELECT id FROM shop.customers)');
    expect(view.reads.relations.map((r) => `${r.schema}.${r.name}`).sort()).toEqual(['hr.employees', 'shop.customers']);
    const like = ddl('CREATE TABLE ai_t (LIKE hr.employees)');
    expect(like.reads.relations).toEqual([{ schema: 'hr', name: 'employees', alias: undefined }]);
    // LIKE copies every column's name and type: it reads them all
    expect(like.reads.columnRefs).toContainEqual(['employees', '*']);
    expect(ddl('CREATE TABLE ai_t AS SELECT * FROM hr.employees').reads.relations).toHaveLength(1);
  });

  it('the prefix is the configured one, compared on the folded name', () => {
    const claude = { prefix: 'claude_ai_', allowUnbounded: false };
    expect(verdict('CREATE TABLE claude_ai_t (a int)', 'change_schema', claude)).toBe('ALLOWED');
    expect(verdict('CREATE TABLE CLAUDE_AI_T (a int)', 'change_schema', claude)).toBe('ALLOWED');
    expect(verdict('CREATE TABLE ai_t (a int)', 'change_schema', claude)).toBe('WRITE_NOT_ALLOWED');
    expect(verdict('CREATE TABLE "Claude_ai_t" (a int)', 'change_schema', claude)).toBe('WRITE_NOT_ALLOWED');
  });

  it('a verdict is cached per tool and options, not across them', () => {
    const sql = 'CREATE TABLE x_t (a int)';
    expect(verdict(sql, 'change_schema', { prefix: 'x_', allowUnbounded: false })).toBe('ALLOWED');
    expect(verdict(sql, 'change_schema')).toBe('WRITE_NOT_ALLOWED');
    expect(verdict('DELETE FROM t', 'execute', { prefix: 'ai_', allowUnbounded: true })).toBe('ALLOWED');
    expect(verdict('DELETE FROM t', 'execute')).toBe('WRITE_NOT_ALLOWED');
  });

  it('pathologically deep statements are refused, not a crash', () => {
    const deep = `INSERT INTO t SELECT ${'(SELECT '.repeat(2000)}1${')'.repeat(2000)}`;
    expect(REFUSED.has(verdict(deep, 'execute'))).toBe(true);
    expect(verdict('INSERT INTO t VALUES (1)', 'execute')).toBe('ALLOWED');
  });
});
