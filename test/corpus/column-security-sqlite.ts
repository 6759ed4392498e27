/**
 * Column-security corpus for SQLite (issue 17): the SQLite equivalents of the PostgreSQL
 * corpus in test/corpus/column-security.ts — same role shape, same planted values, same
 * needles, same twin yes/no method — over test/fixtures/column-security/schema-sqlite.sql,
 * judged by effect in test/authorize/column-security-sqlite.test.ts.
 *
 * The role (ANALYST_ROLE_SQLITE): every table of `main` but salaries_secret (and the
 * model table); employees.ssn denied, employees.email masked `partial`, employees.salary
 * masked `null`, contacts.phone masked `hash`; the views `headcount` and `directory`
 * named by a rule. Under the model the role's statement sees every protected table as it
 * looks with the rules applied first, so a denied column does not exist and a masked one
 * behaves everywhere as its masked value.
 *
 * A PostgreSQL case without a SQLite equivalent is left out: `::` casts, LATERAL, ARRAY,
 * table column-alias lists (a CTE column list stands in for them), whole-row values and
 * attribute notation, operator and function overloading, pg_catalog definitions. SQLite's
 * own routes are added: the schema-qualified names that reach a table past a shadowing
 * name (`main.employees`, quoted, bracketed, with comments), `temp.` and the catalog
 * tables, the worker's own mask functions called by name, and SQLite's error messages.
 */
import type { Param } from './column-security.js';

export type SqliteAttackClass = 'baseline' | 'renaming' | 'inference' | 'errors' | 'qualified' | 'definitions' | 'views';

export interface SqliteAttackCase {
  id: string;
  cls: SqliteAttackClass;
  sql: string;
  params?: Param[];
  /** The other half of a yes/no question: must get exactly the same answer as `sql`. */
  twin?: string;
  twinParams?: Param[];
}

export type SqliteBenignClass =
  | 'unruled-tables'
  | 'allowed-columns'
  | 'joins'
  | 'aggregates'
  | 'windows'
  | 'set-operations'
  | 'ctes-subqueries'
  | 'masked-selected'
  | 'masked-used'
  | 'hash-masked'
  | 'named-objects';

export interface SqliteBenignCase {
  id: string;
  cls: SqliteBenignClass;
  sql: string;
  params?: Param[];
  /** 'model': equals the unrestricted answer with employees read from model_employees. 'succeeds': no error, nothing planted. */
  expect: 'model' | 'succeeds';
  modelSql?: string;
}

/** The role under test (bastion.yaml `roles.analyst`), on a SQLite source. */
export const ANALYST_ROLE_SQLITE = {
  tools: ['list_*', 'describe_table', 'query', 'explain'],
  tables: { allow: ['main.*', 'main.headcount', 'main.directory'], deny: ['main.salaries_secret', 'main.model_employees'] },
  columns: {
    deny: ['main.employees.ssn'],
    mask: { 'main.employees.email': 'partial', 'main.employees.salary': 'null', 'main.contacts.phone': 'hash' },
  },
} as const;

// Seven names for employees' seven real columns: the fifth is ssn only if ssn exists for
// the role. With ssn absent the list is one too long and the statement fails the same way.
const E7 = 'WITH e(a, b, c, x, d, f, g) AS (SELECT * FROM employees)';
const E4 = 'WITH e(a, b, c, x) AS (SELECT id, name, email, salary FROM employees)';

type A = [id: string, sql: string, twin?: string];
const group = (cls: SqliteAttackClass, rows: A[]): SqliteAttackCase[] => rows.map(([id, sql, twin]) => ({ id, cls, sql, ...(twin === undefined ? {} : { twin }) }));

export const sqliteAttacks: readonly SqliteAttackCase[] = [
  ...group('baseline', [
    ['b-ssn-direct', `SELECT ssn FROM employees`],
    ['b-ssn-alias', `SELECT ssn AS x FROM employees`],
    ['b-ssn-upper-case', `SELECT SSN FROM EMPLOYEES`],
    ['b-ssn-quoted', `SELECT "ssn" FROM "employees"`],
    ['b-ssn-bracketed', `SELECT [ssn] FROM [employees]`],
    ['b-email-direct', `SELECT email FROM employees`],
    ['b-salary-direct', `SELECT salary FROM employees`],
    ['b-phone-direct', `SELECT phone FROM contacts`],
    ['b-secret-star', `SELECT * FROM salaries_secret`],
    ['b-secret-quoted', `SELECT "token" FROM "main"."salaries_secret"`],
    ['b-secret-subquery', `SELECT (SELECT token FROM salaries_secret ORDER BY id LIMIT 1)`],
    ['b-secret-exists', `SELECT EXISTS (SELECT 1 FROM salaries_secret WHERE token = 'TOKEN-7f3a9c2e')`, `SELECT EXISTS (SELECT 1 FROM salaries_secret WHERE token = 'TOKEN-7f3a9c2f')`],
    ['b-ssn-where', `SELECT id FROM employees WHERE ssn = '372-81-5096'`, `SELECT id FROM employees WHERE ssn = '372-81-5097'`],
    ['b-model-table', `SELECT * FROM model_employees`],
    ['b-star', `SELECT * FROM employees`],
    ['b-alias-star', `SELECT e.* FROM employees e`],
  ]),

  ...group('renaming', [
    ['r-colnames-ssn', `${E7} SELECT d FROM e ORDER BY a`],
    ['r-colnames-email', `WITH e(a, b, c) AS (SELECT id, name, email FROM employees) SELECT c FROM e ORDER BY a`],
    ['r-colnames-salary', `${E4} SELECT x FROM e ORDER BY a`],
    ['r-colnames-min-ssn', `${E7} SELECT min(d) FROM e`],
    ['r-colnames-phone', `WITH k(a, b, c) AS (SELECT * FROM contacts) SELECT c FROM k ORDER BY a`],
    ['r-scalar-subquery-email', `SELECT (SELECT e.email) FROM employees e ORDER BY e.id`],
    ['r-scalar-subquery-salary', `SELECT (SELECT e.salary) FROM employees e ORDER BY e.id`],
    ['r-scalar-subquery-ssn', `SELECT (SELECT e2.ssn FROM employees e2 WHERE e2.id = e.id) FROM employees e`],
    ['r-derived-max-salary', `SELECT max(x) FROM (SELECT salary AS x FROM employees) s`],
    ['r-derived-email', `SELECT x FROM (SELECT email AS x FROM employees) s`],
    ['r-derived-nested-3', `SELECT z FROM (SELECT y AS z FROM (SELECT email AS y FROM employees) a) b`],
    ['r-derived-phone', `SELECT p FROM (SELECT phone AS p FROM contacts) s`],
    ['r-group-concat-renamed-email', `SELECT group_concat(m, ',') FROM (SELECT email AS m FROM employees) s`],
    ['r-string-agg-email', `SELECT string_agg(email, ',') FROM employees`],
    ['r-cte-colnames-email', `WITH c(a) AS (SELECT email FROM employees) SELECT a FROM c`],
    ['r-cte-colnames-salary', `WITH c(a, b) AS (SELECT id, salary FROM employees) SELECT b FROM c ORDER BY a`],
    ['r-cte-star', `WITH c AS (SELECT * FROM employees) SELECT c.* FROM c`],
    ['r-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM employees) SELECT s FROM c`],
    ['r-cte-materialized-email', `WITH c AS MATERIALIZED (SELECT email AS m FROM employees) SELECT m FROM c`],
    ['r-recursive-cte-email', `WITH RECURSIVE r(n, v) AS (SELECT 1, email FROM employees WHERE id = 3 UNION ALL SELECT n + 1, v FROM r WHERE n < 2) SELECT v FROM r`],
    ['r-cte-shadows-table', `WITH employees AS (SELECT * FROM main.employees) SELECT ssn FROM employees`],
    ['r-values-join-salary', `SELECT t.k, e.salary FROM (VALUES (3)) t(k) JOIN employees e ON e.id = t.k`],
    ['r-values-join-salary-column1', `SELECT t.column1, e.salary FROM (VALUES (3)) t JOIN employees e ON e.id = t.column1`],
    ['r-union-email', `SELECT email FROM employees UNION ALL SELECT 'x'`],
    ['r-union-ssn', `SELECT name FROM employees UNION SELECT d FROM (${E7} SELECT d FROM e)`],
    ['r-intersect-salary', `SELECT salary FROM employees INTERSECT SELECT 987654`, `SELECT salary FROM employees INTERSECT SELECT 987655`],
    ['r-except-email', `SELECT email FROM employees EXCEPT SELECT 'nobody'`],
    ['r-coalesce-email', `SELECT coalesce(email, '') FROM employees`],
    ['r-concat-email', `SELECT email || '' FROM employees`],
    ['r-cast-text-salary', `SELECT CAST(salary AS TEXT) FROM employees`],
    ['r-case-email', `SELECT CASE WHEN 1 THEN email END FROM employees`],
    ['r-max-salary', `SELECT max(salary, 0) FROM employees`],
    ['r-json-object-email', `SELECT json_object('e', email) FROM employees`],
    ['r-json-group-array-email', `SELECT json_group_array(email) FROM employees`],
    ['r-json-group-array-salary', `SELECT json_group_array(salary) FROM employees`],
    ['r-json-array-ssn', `SELECT json_array(ssn) FROM employees`],
    ['r-json-each-email', `SELECT j.value FROM employees e, json_each(json_object('k', e.email)) j`],
    ['r-first-value-email', `SELECT first_value(email) OVER (ORDER BY id) FROM employees`],
    ['r-lag-salary', `SELECT lag(salary) OVER (ORDER BY id) FROM employees`],
    ['r-nth-value-ssn', `SELECT nth_value(ssn, 1) OVER () FROM employees`],
    ['r-upper-email', `SELECT upper(email) FROM employees`],
    ['r-hex-email', `SELECT hex(email) FROM employees`],
    ['r-hex-salary', `SELECT hex(salary) FROM employees`],
    ['r-printf-hex-salary', `SELECT printf('%x', salary) FROM employees`],
    ['r-quote-email', `SELECT quote(email) FROM employees`],
    ['r-replace-email', `SELECT replace(email, '@', ' at ') FROM employees`],
    ['r-unicode-char-email', `SELECT unicode(substr(email, 2, 1)) FROM employees WHERE id = 3`, `SELECT unicode(substr(email, 2, 1)) FROM employees WHERE id = 4`],
    ['r-derived-hex-salary', `SELECT hex(s) FROM (SELECT salary AS s FROM employees) t`],
    ['r-cte-upper-email', `WITH c AS (SELECT email AS m FROM employees) SELECT upper(m) FROM c`],
    ['r-derived-json-email', `SELECT json_object('k', m) FROM (SELECT email AS m FROM employees) t`],
    ['r-colnames-concat-salary', `${E4} SELECT x || '' FROM e`],
    ['r-in-from-subquery-ssn', `SELECT * FROM (SELECT * FROM employees)`],
    ['r-natural-join-ssn', `SELECT * FROM employees NATURAL JOIN (SELECT 3 AS id)`],
    ['r-using-star', `SELECT * FROM employees JOIN contacts USING (id)`],
  ]),

  ...group('inference', [
    ['i-in-subquery-salary', `SELECT 987654 IN (SELECT salary FROM employees)`, `SELECT 987655 IN (SELECT salary FROM employees)`],
    ['i-exists-salary', `SELECT EXISTS (SELECT 1 FROM employees WHERE salary > 987653)`, `SELECT EXISTS (SELECT 1 FROM employees WHERE salary > 987655)`],
    ['i-scalar-compare-salary', `SELECT (SELECT salary FROM employees WHERE id = 3) > 987653`, `SELECT (SELECT salary FROM employees WHERE id = 3) > 987655`],
    ['i-where-salary', `SELECT id FROM employees WHERE salary > 987653 ORDER BY id`, `SELECT id FROM employees WHERE salary > 987655 ORDER BY id`],
    ['i-where-renamed-salary', `${E4} SELECT a FROM e WHERE x > 987653`, `${E4} SELECT a FROM e WHERE x > 987655`],
    ['i-where-derived-email', `SELECT n FROM (SELECT id AS n, email AS m FROM employees) s WHERE m LIKE 'zed.k%'`, `SELECT n FROM (SELECT id AS n, email AS m FROM employees) s WHERE m LIKE 'zed.q%'`],
    ['i-where-email-eq', `SELECT id FROM employees WHERE email = 'zed.kowalczyk@corp.example'`, `SELECT id FROM employees WHERE email = 'zed.kowalczyx@corp.example'`],
    ['i-where-email-like', `SELECT id FROM employees WHERE email LIKE 'zed.%'`, `SELECT id FROM employees WHERE email LIKE 'zex.%'`],
    ['i-where-email-glob', `SELECT id FROM employees WHERE email GLOB 'zed.*'`, `SELECT id FROM employees WHERE email GLOB 'zex.*'`],
    ['i-where-ssn-renamed', `${E7} SELECT a FROM e WHERE d LIKE '372%'`, `${E7} SELECT a FROM e WHERE d LIKE '373%'`],
    ['i-limit-salary', `SELECT id FROM employees ORDER BY id LIMIT (SELECT salary / 987654 FROM employees WHERE id = 3)`, `SELECT id FROM employees ORDER BY id LIMIT (SELECT salary / 987655 FROM employees WHERE id = 3)`],
    ['i-offset-salary', `SELECT id FROM employees ORDER BY id LIMIT 10 OFFSET (SELECT salary - 987650 FROM employees WHERE id = 3)`, `SELECT id FROM employees ORDER BY id LIMIT 10 OFFSET (SELECT salary - 987651 FROM employees WHERE id = 3)`],
    ['i-order-by-position', `SELECT id, salary FROM employees ORDER BY 2, 1`, `SELECT id, salary FROM employees ORDER BY 2 DESC, 1`],
    ['i-order-by-alias', `SELECT id, salary AS s FROM employees ORDER BY s, id`, `SELECT id, salary AS s FROM employees ORDER BY s DESC, id`],
    ['i-order-by-hidden-salary', `SELECT id FROM employees ORDER BY salary, id`, `SELECT id FROM employees ORDER BY salary DESC, id`],
    ['i-order-by-subquery', `SELECT id FROM employees e ORDER BY (SELECT e.salary), id`, `SELECT id FROM employees e ORDER BY (SELECT -e.salary), id`],
    ['i-order-by-ssn', `SELECT id FROM employees ORDER BY ssn, id`, `SELECT id FROM employees ORDER BY ssn DESC, id`],
    ['i-order-by-ssn-star', `SELECT id FROM (SELECT * FROM employees) s ORDER BY s.ssn, id`, `SELECT id FROM (SELECT * FROM employees) s ORDER BY s.ssn DESC, id`],
    ['i-order-by-email', `SELECT id FROM employees WHERE id IN (3, 4) ORDER BY email, id`, `SELECT id FROM employees WHERE id IN (3, 4) ORDER BY email DESC, id`],
    ['i-order-limit-pick', `SELECT name FROM employees WHERE id IN (3, 4) ORDER BY email, id LIMIT 1`, `SELECT name FROM employees WHERE id IN (3, 4) ORDER BY email DESC, id LIMIT 1`],
    ['i-order-by-rowid-index', `SELECT id FROM employees INDEXED BY employees_salary WHERE salary > 0 ORDER BY salary`, `SELECT id FROM employees INDEXED BY employees_salary WHERE salary > 0 ORDER BY salary DESC`],
    ['i-distinct-email', `SELECT DISTINCT email FROM employees WHERE id IN (3, 4)`, `SELECT DISTINCT email FROM employees WHERE id IN (3, 3)`],
    ['i-distinct-count-email', `SELECT count(DISTINCT email) FROM employees WHERE id IN (3, 4)`, `SELECT count(DISTINCT email) FROM employees WHERE id IN (3, 3)`],
    ['i-group-by-email', `SELECT count(*) FROM employees WHERE id IN (3, 4) GROUP BY email`, `SELECT count(*) FROM employees WHERE id IN (3, 4) GROUP BY substr(email, 1, 1)`],
    ['i-group-by-position-email', `SELECT email, count(*) FROM employees WHERE id IN (3, 4) GROUP BY 1`, `SELECT 'z***@corp.example', count(*) FROM employees WHERE id IN (3, 4) GROUP BY 1`],
    ['i-group-by-salary-count', `SELECT count(*) FROM (SELECT salary FROM employees GROUP BY salary) s`, `SELECT count(*) FROM (SELECT NULL AS s FROM employees GROUP BY 1) s`],
    ['i-having-salary', `SELECT dept_id FROM employees GROUP BY dept_id HAVING max(salary) > 987653 ORDER BY 1`, `SELECT dept_id FROM employees GROUP BY dept_id HAVING max(salary) > 987655 ORDER BY 1`],
    ['i-window-rank-salary', `SELECT id, rank() OVER (ORDER BY salary, id) FROM employees ORDER BY id`, `SELECT id, rank() OVER (ORDER BY salary DESC, id) FROM employees ORDER BY id`],
    ['i-window-partition-email', `SELECT id, count(*) OVER (PARTITION BY email) FROM employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, count(*) OVER (PARTITION BY substr(email, 1, 1)) FROM employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-row-number-email', `SELECT id, row_number() OVER (ORDER BY email, id) FROM employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, row_number() OVER (ORDER BY email DESC, id) FROM employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-named-salary', `SELECT id, rank() OVER w FROM employees WINDOW w AS (ORDER BY salary, id) ORDER BY id`, `SELECT id, rank() OVER w FROM employees WINDOW w AS (ORDER BY salary DESC, id) ORDER BY id`],
    ['i-window-filter-salary', `SELECT count(*) FILTER (WHERE salary > 987653) OVER () FROM employees LIMIT 1`, `SELECT count(*) FILTER (WHERE salary > 987655) OVER () FROM employees LIMIT 1`],
    ['i-count-between-salary', `SELECT count(*) FROM employees WHERE salary BETWEEN 987000 AND 988000`, `SELECT count(*) FROM employees WHERE salary BETWEEN 986000 AND 987000`],
    ['i-count-renamed-salary', `SELECT count(*) FROM (SELECT salary AS s FROM employees) t WHERE s > 987653`, `SELECT count(*) FROM (SELECT salary AS s FROM employees) t WHERE s > 987655`],
    ['i-count-filter-salary', `SELECT count(*) FILTER (WHERE salary > 987653) FROM employees`, `SELECT count(*) FILTER (WHERE salary > 987655) FROM employees`],
    ['i-case-salary', `SELECT CASE WHEN salary > 987653 THEN 'y' ELSE 'n' END FROM employees WHERE id = 3`, `SELECT CASE WHEN salary > 987655 THEN 'y' ELSE 'n' END FROM employees WHERE id = 3`],
    ['i-iif-salary', `SELECT iif(salary > 987653, 'y', 'n') FROM employees WHERE id = 3`, `SELECT iif(salary > 987655, 'y', 'n') FROM employees WHERE id = 3`],
    ['i-nullif-salary', `SELECT nullif(salary, 987654) IS NULL FROM employees WHERE id = 3`, `SELECT nullif(salary, 987655) IS NULL FROM employees WHERE id = 3`],
    ['i-is-not-salary', `SELECT count(*) FROM employees WHERE salary IS NOT 987654`, `SELECT count(*) FROM employees WHERE salary IS NOT 987655`],
    ['i-row-compare-salary', `SELECT count(*) FROM employees e WHERE (e.id, e.salary) > (3, 987653)`, `SELECT count(*) FROM employees e WHERE (e.id, e.salary) > (3, 987655)`],
    ['i-tuple-in-salary', `SELECT count(*) FROM employees WHERE (id, salary) IN (VALUES (3, 987654))`, `SELECT count(*) FROM employees WHERE (id, salary) IN (VALUES (3, 987655))`],
    ['i-recursive-count-salary', `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < (SELECT salary - 987650 FROM employees WHERE id = 3)) SELECT count(*) FROM s`, `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < (SELECT salary - 987651 FROM employees WHERE id = 3)) SELECT count(*) FROM s`],
    ['i-printf-width-salary', `SELECT length(printf('%*d', (SELECT salary - 987650 FROM employees WHERE id = 3), 1))`, `SELECT length(printf('%*d', (SELECT salary - 987651 FROM employees WHERE id = 3), 1))`],
    ['i-join-on-salary', `SELECT count(*) FROM employees e JOIN (SELECT 987654 AS s) v ON e.salary = v.s`, `SELECT count(*) FROM employees e JOIN (SELECT 987655 AS s) v ON e.salary = v.s`],
    ['i-join-on-salary-range', `SELECT count(*) FROM employees e JOIN departments d ON e.salary > d.budget`, `SELECT count(*) FROM employees e JOIN departments d ON e.salary > d.budget * 2`],
    ['i-except-salary', `SELECT count(*) FROM (SELECT salary FROM employees EXCEPT SELECT 987654) s`, `SELECT count(*) FROM (SELECT salary FROM employees EXCEPT SELECT 987655) s`],
    ['i-join-using-ssn', `SELECT count(*) FROM employees JOIN (SELECT '372-81-5096' AS ssn) v USING (ssn)`, `SELECT count(*) FROM employees JOIN (SELECT '372-81-5097' AS ssn) v USING (ssn)`],
    ['i-natural-join-ssn', `SELECT count(*) FROM employees NATURAL JOIN (SELECT 3 AS id, '372-81-5096' AS ssn) v`, `SELECT count(*) FROM employees NATURAL JOIN (SELECT 3 AS id, '372-81-5097' AS ssn) v`],
    ['i-natural-join-email', `SELECT count(*) FROM employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyk@corp.example' AS email) v`, `SELECT count(*) FROM employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyx@corp.example' AS email) v`],
    ['i-exists-renamed-ssn', `${E7} SELECT EXISTS (SELECT 1 FROM e WHERE d = '372-81-5096')`, `${E7} SELECT EXISTS (SELECT 1 FROM e WHERE d = '372-81-5097')`],
    ['i-in-renamed-ssn', `${E7} SELECT '372-81-5096' IN (SELECT d FROM e)`, `${E7} SELECT '372-81-5097' IN (SELECT d FROM e)`],
    ['i-substr-renamed-ssn', `${E7} SELECT substr(d, 1, 3) = '372' FROM e WHERE a = 3`, `${E7} SELECT substr(d, 1, 3) = '373' FROM e WHERE a = 3`],
    ['i-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM employees) SELECT count(*) FROM c WHERE s LIKE '372%'`, `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM employees) SELECT count(*) FROM c WHERE s LIKE '373%'`],
    ['i-cte-email', `WITH c(m) AS (SELECT email FROM employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyk@corp.example'`, `WITH c(m) AS (SELECT email FROM employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyx@corp.example'`],
    ['i-length-email', `SELECT length(email) FROM employees WHERE id = 3`, `SELECT length(email) FROM employees WHERE id = 4`],
    ['i-substr-email', `SELECT substr(email, 2, 3) FROM employees WHERE id = 3`, `SELECT substr(email, 2, 3) FROM employees WHERE id = 4`],
    ['i-instr-email', `SELECT instr(email, '.') FROM employees WHERE id = 3`, `SELECT instr(email, '.') FROM employees WHERE id = 4`],
    ['i-hex-email', `SELECT hex(email) FROM employees WHERE id = 3`, `SELECT hex(email) FROM employees WHERE id = 4`],
    ['i-soundex-email', `SELECT soundex(email) FROM employees WHERE id = 3`, `SELECT soundex(email) FROM employees WHERE id = 4`],
    ['i-max-min-email', `SELECT max(email) FROM employees WHERE id IN (3, 4)`, `SELECT min(email) FROM employees WHERE id IN (3, 4)`],
    ['i-union-dedupe-email', `SELECT email FROM employees WHERE id = 3 UNION SELECT email FROM employees WHERE id = 4`, `SELECT email FROM employees WHERE id = 3 UNION SELECT email FROM employees WHERE id = 3`],
    ['i-intersect-email', `SELECT count(*) FROM (SELECT email FROM employees WHERE id = 3 INTERSECT SELECT email FROM employees WHERE id = 4) s`, `SELECT count(*) FROM (SELECT email FROM employees WHERE id = 3 INTERSECT SELECT email FROM employees WHERE id = 3) s`],
    ['i-self-join-email', `SELECT count(*) FROM employees a JOIN employees b ON a.email = b.email AND a.id < b.id`, `SELECT count(*) FROM employees a JOIN employees b ON substr(a.email, 1, 1) = substr(b.email, 1, 1) AND a.id < b.id`],
    ['i-exists-correlated-email', `SELECT id FROM departments d WHERE EXISTS (SELECT 1 FROM employees e WHERE e.dept_id = d.id AND e.email LIKE 'zed%') ORDER BY id`, `SELECT id FROM departments d WHERE EXISTS (SELECT 1 FROM employees e WHERE e.dept_id = d.id AND e.email LIKE 'zex%') ORDER BY id`],
    ['i-group-concat-order-salary', `SELECT group_concat(name, ',' ORDER BY salary, id) FROM employees`, `SELECT group_concat(name, ',' ORDER BY salary DESC, id) FROM employees`],
    ['i-json-group-array-order-email', `SELECT json_group_array(id ORDER BY email, id) FROM employees WHERE id IN (3, 4)`, `SELECT json_group_array(id ORDER BY email DESC, id) FROM employees WHERE id IN (3, 4)`],
    ['i-phone-like', `SELECT count(*) FROM contacts WHERE phone LIKE '+1-555-0142%'`, `SELECT count(*) FROM contacts WHERE phone LIKE '+1-555-0143%'`],
    ['i-phone-substr', `SELECT count(*) FROM contacts WHERE substr(phone, 8, 4) = '0142'`, `SELECT count(*) FROM contacts WHERE substr(phone, 8, 4) = '0143'`],
    ['i-token-like', `SELECT EXISTS (SELECT 1 FROM salaries_secret WHERE token LIKE 'TOKEN-7%')`, `SELECT EXISTS (SELECT 1 FROM salaries_secret WHERE token LIKE 'TOKEN-8%')`],
    ['i-derived-order-salary', `SELECT n FROM (SELECT id AS n, salary AS s FROM employees) t ORDER BY s, n`, `SELECT n FROM (SELECT id AS n, salary AS s FROM employees) t ORDER BY s DESC, n`],
    ['i-derived-distinct-email', `SELECT DISTINCT m FROM (SELECT email AS m FROM employees WHERE id IN (3, 4)) t`, `SELECT DISTINCT m FROM (SELECT email AS m FROM employees WHERE id IN (3, 3)) t`],
    ['i-derived-group-email', `SELECT count(*) FROM (SELECT email AS m FROM employees WHERE id IN (3, 4)) t GROUP BY m`, `SELECT count(*) FROM (SELECT email AS m FROM employees WHERE id IN (3, 4)) t GROUP BY substr(m, 1, 1)`],
    ['i-derived-window-salary', `SELECT n, rank() OVER (ORDER BY s, n) FROM (SELECT id AS n, salary AS s FROM employees) t ORDER BY n`, `SELECT n, rank() OVER (ORDER BY s DESC, n) FROM (SELECT id AS n, salary AS s FROM employees) t ORDER BY n`],
    ['i-derived-limit-salary', `SELECT id FROM employees ORDER BY id LIMIT (SELECT s / 987654 FROM (SELECT id, salary AS s FROM employees) t WHERE id = 3)`, `SELECT id FROM employees ORDER BY id LIMIT (SELECT s / 987655 FROM (SELECT id, salary AS s FROM employees) t WHERE id = 3)`],
    ['i-derived-having-salary', `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM employees) t GROUP BY d HAVING max(s) > 987653 ORDER BY 1`, `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM employees) t GROUP BY d HAVING max(s) > 987655 ORDER BY 1`],
    ['i-derived-join-salary', `SELECT count(*) FROM (SELECT salary AS s FROM employees) t JOIN departments d ON t.s > d.budget`, `SELECT count(*) FROM (SELECT salary AS s FROM employees) t JOIN departments d ON t.s > d.budget * 2`],
    ['i-cte-length-email', `WITH c AS (SELECT id, email AS m FROM employees) SELECT length(m) FROM c WHERE id = 3`, `WITH c AS (SELECT id, email AS m FROM employees) SELECT length(m) FROM c WHERE id = 4`],
    ['i-derived-phone-like', `SELECT count(*) FROM (SELECT phone AS p FROM contacts) t WHERE p LIKE '+1-555-0142%'`, `SELECT count(*) FROM (SELECT phone AS p FROM contacts) t WHERE p LIKE '+1-555-0143%'`],
    ['i-json-extract-email', `SELECT json_extract(json_object('e', email), '$.e') LIKE 'zed%' FROM employees WHERE id = 3`, `SELECT json_extract(json_object('e', email), '$.e') LIKE 'zex%' FROM employees WHERE id = 3`],
    ['i-json-arrow-salary', `SELECT json_object('s', salary) ->> '$.s' > 987653 FROM employees WHERE id = 3`, `SELECT json_object('s', salary) ->> '$.s' > 987655 FROM employees WHERE id = 3`],
  ]),
  {
    id: 'i-param-salary',
    cls: 'inference',
    sql: 'SELECT id FROM employees WHERE salary > ? ORDER BY id',
    params: [987653],
    twin: 'SELECT id FROM employees WHERE salary > ? ORDER BY id',
    twinParams: [987655],
  },
  {
    id: 'i-param-email',
    cls: 'inference',
    sql: 'SELECT count(*) FROM employees WHERE email = ?1',
    params: ['zed.kowalczyk@corp.example'],
    twin: 'SELECT count(*) FROM employees WHERE email = ?1',
    twinParams: ['zed.kowalczyx@corp.example'],
  },

  // SQLite's data errors rarely quote a value; these are the ones that could.
  ...group('errors', [
    ['e-json-email', `SELECT json(email) FROM employees WHERE id = 3`],
    ['e-json-concat-email', `SELECT json('{"a": ' || (SELECT email FROM employees WHERE id = 3) || '}')`],
    ['e-json-extract-path-email', `SELECT json_extract('{}', email) FROM employees WHERE id = 3`],
    ['e-json-extract-path-ssn', `${E7} SELECT json_extract('{}', d) FROM e`],
    ['e-strftime-email', `SELECT strftime(email, 'now') FROM employees WHERE id = 3`],
    ['e-like-escape-email', `SELECT 'x' LIKE 'x' ESCAPE email FROM employees WHERE id = 3`],
    ['e-like-escape-salary', `SELECT 'x' LIKE 'x' ESCAPE CASE WHEN salary > 987653 THEN 'ab' ELSE 'a' END FROM employees WHERE id = 3`, `SELECT 'x' LIKE 'x' ESCAPE CASE WHEN salary > 987655 THEN 'ab' ELSE 'a' END FROM employees WHERE id = 3`],
    ['e-abs-overflow-salary', `SELECT abs(CASE WHEN salary > 987653 THEN -9223372036854775808 ELSE 1 END) FROM employees WHERE id = 3`, `SELECT abs(CASE WHEN salary > 987655 THEN -9223372036854775808 ELSE 1 END) FROM employees WHERE id = 3`],
    ['e-sum-overflow-salary', `SELECT sum(v) FROM (SELECT 9223372036854775807 AS v UNION ALL SELECT salary - 987653 FROM employees WHERE id = 3)`, `SELECT sum(v) FROM (SELECT 9223372036854775807 AS v UNION ALL SELECT salary - 987655 FROM employees WHERE id = 3)`],
    ['e-ntile-zero-salary', `SELECT ntile(salary - 987654) OVER () FROM employees WHERE id = 3`, `SELECT ntile(salary - 987655) OVER () FROM employees WHERE id = 3`],
    ['e-nth-value-zero-salary', `SELECT nth_value(id, salary - 987654) OVER () FROM employees WHERE id = 3`, `SELECT nth_value(id, salary - 987655) OVER () FROM employees WHERE id = 3`],
    ['e-json-array-length-ssn', `SELECT json_array_length(ssn) FROM employees WHERE id = 3`],
    ['e-json-each-email', `SELECT * FROM employees e, json_each(e.email) WHERE e.id = 3`],
    ['e-json-tree-token', `SELECT * FROM salaries_secret s, json_tree(s.token)`],
    ['e-printf-email', `SELECT printf(email) FROM employees WHERE id = 3`],
    ['e-cte-json-salary', `WITH c(i, s) AS (SELECT id, salary FROM employees) SELECT json(s || '}') FROM c WHERE i = 3`],
    ['e-derived-json-email', `SELECT json(m) FROM (SELECT id, email AS m FROM employees) t WHERE id = 3`],
    ['e-limit-negative-text-email', `SELECT id FROM employees LIMIT (SELECT email FROM employees WHERE id = 3)`],
    ['e-offset-text-ssn', `SELECT id FROM employees LIMIT 1 OFFSET (SELECT ssn FROM employees WHERE id = 3)`],
    ['e-unistr-email', `SELECT unhex(email) FROM employees WHERE id = 3`],
  ]),

  // Past the shadowing name: the schema written out, in every spelling SQLite accepts.
  ...group('qualified', [
    ['q-main-ssn', `SELECT ssn FROM main.employees`],
    ['q-main-email', `SELECT email FROM main.employees`],
    ['q-main-star', `SELECT * FROM main.employees`],
    ['q-main-quoted', `SELECT ssn FROM "main"."employees"`],
    ['q-main-upper', `SELECT ssn FROM MAIN.EMPLOYEES`],
    ['q-main-bracketed', `SELECT [ssn] FROM [main].[employees]`],
    ['q-main-backticks', 'SELECT `ssn` FROM `main`.`employees`'],
    ['q-main-comments', `SELECT ssn FROM main/**/./* x */employees`],
    ['q-main-spaces', `SELECT ssn FROM main . employees`],
    ['q-main-string-literals', `SELECT ssn FROM 'main'.'employees'`],
    ['q-main-string-schema', `SELECT email FROM 'main'.employees ORDER BY id`],
    ['q-main-string-table', `SELECT ssn FROM main.'employees'`],
    ['q-main-string-filter', `SELECT count(*) FROM 'main'.'employees' WHERE salary > 987653`, `SELECT count(*) FROM 'main'.'employees' WHERE salary > 987655`],
    ['q-pragma-string-call', `SELECT * FROM 'pragma_table_info'('employees')`],
    ['q-main-column-qualified', `SELECT main.employees.ssn FROM main.employees`],
    ['q-main-column-qualified-unqualified-from', `SELECT main.employees.ssn FROM employees`],
    ['q-main-column-only', `SELECT main.employees.email FROM employees`],
    ['q-main-subquery', `SELECT (SELECT ssn FROM main.employees WHERE id = 3)`],
    ['q-main-cte', `WITH c AS (SELECT email FROM main.employees) SELECT * FROM c`],
    ['q-main-join', `SELECT e.ssn FROM departments d JOIN main.employees e ON e.dept_id = d.id`],
    ['q-main-union', `SELECT name FROM departments UNION ALL SELECT ssn FROM main.employees`],
    ['q-main-filter', `SELECT count(*) FROM main.employees WHERE salary > 987653`, `SELECT count(*) FROM main.employees WHERE salary > 987655`],
    ['q-main-order', `SELECT id FROM main.employees ORDER BY ssn, id`, `SELECT id FROM main.employees ORDER BY ssn DESC, id`],
    ['q-main-phone', `SELECT phone FROM main.contacts`],
    ['q-main-window', `SELECT first_value(ssn) OVER (ORDER BY id) FROM main.employees`],
    ['q-main-in-window-spec', `SELECT sum(1) OVER (ORDER BY (SELECT max(salary) FROM main.employees)) FROM departments`],
    ['q-temp-view', `SELECT * FROM temp.employees`],
    ['q-temp-schema', `SELECT sql FROM temp.sqlite_schema`],
    ['q-temp-master', `SELECT sql FROM sqlite_temp_master`],
    ['q-mask-fn-partial', `SELECT bastion_mask_partial(ssn) FROM main.employees`],
    ['q-mask-fn-hash', `SELECT bastion_mask_hash('+1-555-0142-9876')`],
    ['q-mask-fn-quoted', `SELECT "bastion_mask_hash"(email) FROM employees`],
    ['q-attach', `ATTACH DATABASE 'file:x' AS other`],
    ['q-other-schema', `SELECT * FROM other.employees`],
    ['q-indexed-by-main', `SELECT ssn FROM main.employees INDEXED BY employees_ssn WHERE ssn > ''`],
  ]),

  ...group('definitions', [
    ['d-sqlite-schema', `SELECT sql FROM sqlite_schema`],
    ['d-sqlite-master', `SELECT sql FROM sqlite_master WHERE name = 'v_vip'`],
    ['d-main-sqlite-schema', `SELECT sql FROM main.sqlite_schema`],
    ['d-pragma-table-info', `SELECT * FROM pragma_table_info('employees')`],
    ['d-sqlite-stat1', `SELECT * FROM sqlite_stat1`],
    ['d-explain-view', `EXPLAIN SELECT id FROM v_vip`],
    ['d-explain-plan-view', `EXPLAIN QUERY PLAN SELECT id FROM v_vip`],
    ['d-explain-bytecode-main', `EXPLAIN SELECT ssn FROM main.employees`],
    // A plan names the indexes on protected columns: none for a table with rules.
    ['d-explain-plan-lookup', `EXPLAIN QUERY PLAN SELECT id FROM employees WHERE id = 3`],
    ['d-dbstat', `SELECT * FROM dbstat`],
  ]),

  ...group('views', [
    ['v-tokens', `SELECT * FROM v_tokens`],
    ['v-tokens-column', `SELECT token FROM main.v_tokens`],
    ['v-tokens-join', `SELECT e.name, t.token FROM employees e JOIN v_tokens t ON t.employee_id = e.id`],
    ['v-tokens-subquery', `SELECT (SELECT max(token) FROM v_tokens)`],
    ['v-tokens-union', `SELECT token FROM v_tokens UNION ALL SELECT 'x'`],
    ['v-tokens-filter', `SELECT count(*) FROM v_tokens WHERE token LIKE 'TOKEN-7%'`, `SELECT count(*) FROM v_tokens WHERE token LIKE 'TOKEN-8%'`],
    ['v-bonus-total', `SELECT * FROM v_bonus_total`],
    ['v-nested', `SELECT * FROM v_nested`],
    ['v-staff', `SELECT * FROM v_staff`],
    ['v-staff-ssn', `SELECT ssn FROM v_staff`],
    ['v-staff-cte', `WITH s AS (SELECT * FROM v_staff) SELECT ssn FROM s`],
    ['v-staff-filter', `SELECT count(*) FROM v_staff WHERE ssn LIKE '372%'`, `SELECT count(*) FROM v_staff WHERE ssn LIKE '373%'`],
    ['v-contacts-masked', `SELECT email, salary FROM v_contacts`],
    ['v-contacts-filter', `SELECT count(*) FROM v_contacts WHERE salary > 987653`, `SELECT count(*) FROM v_contacts WHERE salary > 987655`],
    ['v-phones', `SELECT phone FROM v_phones`],
    ['v-vip-rows', `SELECT count(*) FROM v_vip WHERE id = 3`, `SELECT count(*) FROM v_vip WHERE id = 4`],
    ['v-rich-rows', `SELECT count(*) FROM v_rich WHERE id = 3`, `SELECT count(*) FROM v_rich WHERE id = 4`],
    ['v-directory-email', `SELECT email FROM directory`],
    ['v-directory-email-filter', `SELECT count(*) FROM directory WHERE email LIKE 'zed%'`, `SELECT count(*) FROM directory WHERE email LIKE 'zex%'`],
    ['v-directory-email-expression', `SELECT upper(email) FROM directory`],
  ]),
];

type B = [id: string, sql: string, params?: Param[]];
const benignGroup = (cls: SqliteBenignClass, expect: SqliteBenignCase['expect'], rows: B[]): SqliteBenignCase[] =>
  rows.map(([id, sql, params]) => ({ id, cls, sql, expect, ...(params === undefined ? {} : { params }) }));

export const sqliteBenign: readonly SqliteBenignCase[] = [
  ...benignGroup('unruled-tables', 'model', [
    ['u-orders-star', `SELECT * FROM orders ORDER BY id`],
    ['u-orders-qualified', `SELECT id, amount FROM main.orders ORDER BY id`],
    ['u-orders-filter', `SELECT id, amount FROM orders WHERE status = 'paid' AND amount > 50 ORDER BY id`],
    ['u-orders-like', `SELECT id FROM orders WHERE status LIKE 'ref%'`],
    ['u-orders-glob', `SELECT id FROM orders WHERE status GLOB 'p*' ORDER BY id`],
    ['u-orders-between-dates', `SELECT id FROM orders WHERE placed BETWEEN '2024-02-01' AND '2024-03-31' ORDER BY placed`],
    ['u-orders-order-desc', `SELECT id, amount FROM orders ORDER BY amount DESC, id LIMIT 3`],
    ['u-orders-offset', `SELECT id FROM orders ORDER BY id LIMIT 3 OFFSET 2`],
    ['u-orders-distinct-status', `SELECT DISTINCT status FROM orders ORDER BY status`],
    ['u-orders-cast', `SELECT CAST(amount AS INTEGER), CAST(placed AS TEXT) FROM orders ORDER BY id`],
    ['u-orders-case', `SELECT id, CASE WHEN amount > 100 THEN 'big' ELSE 'small' END FROM orders ORDER BY id`],
    ['u-orders-null-employee', `SELECT id FROM orders WHERE employee_id IS NULL`],
    ['u-orders-json', `SELECT json_object('id', id, 'amount', amount) FROM orders ORDER BY id`],
    ['u-orders-date', `SELECT id, strftime('%m', placed) FROM orders ORDER BY id`],
    ['u-customers-star', `SELECT * FROM customers ORDER BY id`],
    ['u-customers-in', `SELECT name FROM customers WHERE region IN ('north', 'east') ORDER BY name`],
    ['u-customers-upper', `SELECT upper(name), length(name) FROM customers ORDER BY id`],
    ['u-departments-star', `SELECT * FROM departments ORDER BY id`],
    ['u-departments-budget-filter', `SELECT name FROM departments WHERE budget > 200000 ORDER BY name`],
    ['u-departments-quoted', `SELECT "name" FROM "main"."departments" ORDER BY "id"`],
    ['u-orders-param', `SELECT id FROM orders WHERE amount > ? ORDER BY id`, [100]],
    ['u-orders-param-numbered', `SELECT id FROM orders WHERE amount > ?1 AND amount < ?2 ORDER BY id`, [50, 200]],
    ['u-contacts-city', `SELECT id, city FROM contacts ORDER BY id`],
    ['u-values', `VALUES (1, 'a'), (2, 'b')`],
  ]),

  ...benignGroup('allowed-columns', 'model', [
    ['ac-names', `SELECT id, name FROM employees ORDER BY id`],
    ['ac-qualified', `SELECT id, name FROM main.employees ORDER BY id`],
    ['ac-quoted-qualified', `SELECT "id", "name" FROM "main"."employees" ORDER BY 1`],
    ['ac-qualified-column', `SELECT main.employees.name FROM main.employees ORDER BY main.employees.id`],
    ['ac-filter-dept', `SELECT name FROM employees WHERE dept_id = 1 ORDER BY name`],
    ['ac-hired-range', `SELECT name FROM employees WHERE hired >= '2020-01-01' ORDER BY hired`],
    ['ac-like-name', `SELECT id FROM employees WHERE name LIKE 'Z%' ORDER BY id`],
    ['ac-alias', `SELECT e.id AS ident, e.name AS who FROM employees AS e ORDER BY 1`],
    ['ac-order-by-position', `SELECT name, hired FROM employees ORDER BY 2 DESC`],
    ['ac-case', `SELECT id, CASE WHEN dept_id = 1 THEN 'R' ELSE 'O' END FROM employees ORDER BY id`],
    ['ac-distinct-dept', `SELECT DISTINCT dept_id FROM employees ORDER BY 1`],
    ['ac-date-fn', `SELECT id, strftime('%Y', hired) FROM employees ORDER BY id`],
    ['ac-count', `SELECT count(*) FROM employees`],
    ['ac-param', `SELECT name FROM employees WHERE id = ?`, [3]],
    ['ac-indexed-by', `SELECT id FROM employees WHERE id > 2 ORDER BY id`],
    ['ac-cte-shadows-table', `WITH employees AS (SELECT id, name FROM main.employees) SELECT name FROM employees ORDER BY id`],
  ]),

  ...benignGroup('joins', 'model', [
    ['j-emp-dept', `SELECT e.name, d.name FROM employees e JOIN departments d ON d.id = e.dept_id ORDER BY e.id`],
    ['j-left-join', `SELECT d.name, e.id FROM departments d LEFT JOIN employees e ON e.dept_id = d.id ORDER BY d.id, e.id`],
    ['j-orders-emp', `SELECT o.id, e.name FROM orders o JOIN employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j-three-way', `SELECT o.id, c.name, e.name FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j-using', `SELECT id, name FROM employees JOIN (SELECT 3 AS id) USING (id)`],
    ['j-cross', `SELECT count(*) FROM employees CROSS JOIN departments`],
    ['j-self', `SELECT a.name, b.name FROM employees a JOIN employees b ON a.dept_id = b.dept_id AND a.id < b.id ORDER BY a.id, b.id`],
    ['j-comma', `SELECT e.name, d.name FROM employees e, departments d WHERE d.id = e.dept_id ORDER BY e.id`],
    ['j-contacts', `SELECT e.name, c.city FROM employees e JOIN contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['j-subquery-join', `SELECT e.name, t.total FROM employees e JOIN (SELECT employee_id, sum(amount) AS total FROM orders GROUP BY employee_id) t ON t.employee_id = e.id ORDER BY e.id`],
    ['j-right-join', `SELECT d.name, e.id FROM employees e RIGHT JOIN departments d ON e.dept_id = d.id ORDER BY d.id, e.id`],
    ['j-full-join', `SELECT d.id, e.id FROM employees e FULL JOIN departments d ON e.dept_id = d.id ORDER BY 1, 2`],
    ['j-qualified-join', `SELECT e.name, d.name FROM main.employees e JOIN main.departments d ON d.id = e.dept_id ORDER BY e.id`],
  ]),

  ...benignGroup('aggregates', 'model', [
    ['a-count-by-dept', `SELECT dept_id, count(*) FROM employees GROUP BY dept_id ORDER BY 1`],
    ['a-sum-orders', `SELECT status, sum(amount), count(*) FROM orders GROUP BY status ORDER BY status`],
    ['a-avg-orders', `SELECT round(avg(amount), 2) FROM orders`],
    ['a-having', `SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 1 ORDER BY 1`],
    ['a-min-max-hired', `SELECT min(hired), max(hired) FROM employees`],
    ['a-group-concat-names', `SELECT group_concat(name, ',') FROM (SELECT name FROM employees ORDER BY id)`],
    ['a-group-concat-order', `SELECT group_concat(name, ',' ORDER BY id) FROM employees`],
    ['a-count-distinct-dept', `SELECT count(DISTINCT dept_id) FROM employees`],
    ['a-json-group-array', `SELECT dept_id, json_group_array(id) FROM (SELECT * FROM employees ORDER BY id) GROUP BY dept_id ORDER BY 1`],
    ['a-json-group-object', `SELECT json_group_object(name, dept_id) FROM (SELECT name, dept_id FROM employees ORDER BY id)`],
    ['a-total', `SELECT total(amount) FROM orders`],
    ['a-count-nonnull', `SELECT count(employee_id), count(*) FROM orders`],
    ['a-dept-budget-share', `SELECT name, round(100.0 * budget / sum(budget) OVER (), 1) FROM departments ORDER BY id`],
    ['a-filter', `SELECT count(*) FILTER (WHERE status = 'paid') FROM orders`],
    ['a-group-by-year', `SELECT strftime('%Y', hired), count(*) FROM employees GROUP BY 1 ORDER BY 1`],
  ]),

  ...benignGroup('windows', 'model', [
    ['w-running-sum', `SELECT sum(amount) OVER (ORDER BY id) FROM orders`],
    ['w-row-number-hired', `SELECT id, row_number() OVER (ORDER BY hired) FROM employees ORDER BY id`],
    ['w-rank-per-dept', `SELECT id, rank() OVER (PARTITION BY dept_id ORDER BY hired) FROM employees ORDER BY id`],
    ['w-running-sum-id', `SELECT id, sum(amount) OVER (ORDER BY id) FROM orders ORDER BY id`],
    ['w-moving-avg', `SELECT id, round(avg(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), 2) FROM orders ORDER BY id`],
    ['w-lag-lead', `SELECT id, lag(amount) OVER w, lead(amount) OVER w FROM orders WINDOW w AS (ORDER BY id) ORDER BY id`],
    ['w-first-last-name', `SELECT dept_id, first_value(name) OVER (PARTITION BY dept_id ORDER BY id), last_value(name) OVER (PARTITION BY dept_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM employees ORDER BY id`],
    ['w-count-per-dept', `SELECT id, count(*) OVER (PARTITION BY dept_id) FROM employees ORDER BY id`],
    ['w-ntile', `SELECT id, ntile(2) OVER (ORDER BY amount, id) FROM orders ORDER BY id`],
    ['w-dense-rank-status', `SELECT id, dense_rank() OVER (ORDER BY status) FROM orders ORDER BY id`],
    ['w-percent-rank-hired', `SELECT id, percent_rank() OVER (ORDER BY hired) FROM employees ORDER BY id`],
    ['w-cume-dist', `SELECT id, cume_dist() OVER (ORDER BY amount) FROM orders ORDER BY id`],
    ['w-filter-in-window', `SELECT id, count(*) FILTER (WHERE status = 'paid') OVER (ORDER BY id) FROM orders ORDER BY id`],
    ['w-top-per-employee', `SELECT employee_id, id FROM (SELECT employee_id, id, row_number() OVER (PARTITION BY employee_id ORDER BY amount DESC) AS r FROM orders) s WHERE r = 1 ORDER BY employee_id`],
    ['w-range-frame', `SELECT id, sum(amount) OVER (ORDER BY julianday(placed) RANGE BETWEEN 30 PRECEDING AND CURRENT ROW) FROM orders ORDER BY id`],
    ['w-groups-frame', `SELECT id, count(*) OVER (ORDER BY status GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES) FROM orders ORDER BY id`],
    ['w-nth-value', `SELECT DISTINCT nth_value(name, 2) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM employees`],
    ['w-empty-over', `SELECT id, row_number() OVER () IS NOT NULL FROM departments ORDER BY id`],
    ['w-named-base', `SELECT id, sum(amount) OVER (w ORDER BY id) FROM orders WINDOW w AS (PARTITION BY status) ORDER BY id`],
    ['w-having-window', `SELECT status, count(*), rank() OVER w FROM orders GROUP BY status HAVING count(*) > 1 WINDOW w AS (ORDER BY count(*) DESC) ORDER BY status`],
  ]),

  ...benignGroup('set-operations', 'model', [
    ['s-union-names', `SELECT name FROM employees UNION SELECT name FROM customers ORDER BY 1`],
    ['s-union-all-ids', `SELECT id FROM employees UNION ALL SELECT id FROM departments ORDER BY 1`],
    ['s-intersect-ids', `SELECT id FROM employees INTERSECT SELECT employee_id FROM orders ORDER BY 1`],
    ['s-except-ids', `SELECT id FROM employees EXCEPT SELECT employee_id FROM orders ORDER BY 1`],
    ['s-union-dept-names', `SELECT name, 'dept' AS kind FROM departments UNION ALL SELECT name, 'emp' FROM employees ORDER BY 2, 1`],
    ['s-union-in-subquery', `SELECT count(*) FROM (SELECT name FROM employees UNION SELECT name FROM departments) s`],
    ['s-union-in-cte', `WITH people AS (SELECT name FROM employees UNION ALL SELECT name FROM customers) SELECT count(*) FROM people`],
    ['s-union-orders', `SELECT id, amount FROM orders WHERE amount > 300 UNION SELECT id, amount FROM orders WHERE status = 'open' ORDER BY id`],
    ['s-union-with-masked-table-other-col', `SELECT hired FROM employees UNION SELECT placed FROM orders ORDER BY 1`],
    ['s-union-values', `SELECT name FROM employees WHERE id = 1 UNION ALL VALUES ('extra') ORDER BY 1`],
    ['s-union-derived-join', `SELECT s.name, d.name FROM (SELECT id, name, dept_id FROM employees UNION ALL SELECT 99, 'Nobody', 1) s JOIN departments d ON d.id = s.dept_id ORDER BY s.id`],
    ['s-union-qualified', `SELECT name FROM main.employees UNION SELECT name FROM main.departments ORDER BY 1`],
  ]),

  ...benignGroup('ctes-subqueries', 'model', [
    ['c-cte-names', `WITH x AS (SELECT id, name FROM employees) SELECT name FROM x ORDER BY id`],
    ['c-cte-colnames', `WITH x(i, n) AS (SELECT id, name FROM employees) SELECT n FROM x ORDER BY i`],
    ['c-cte-chain', `WITH a AS (SELECT id, dept_id FROM employees), b AS (SELECT dept_id, count(*) AS n FROM a GROUP BY dept_id) SELECT * FROM b ORDER BY dept_id`],
    ['c-cte-materialized', `WITH x AS MATERIALIZED (SELECT id FROM employees) SELECT count(*) FROM x`],
    ['c-recursive', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r`],
    ['c-scalar-subquery', `SELECT name, (SELECT count(*) FROM orders o WHERE o.employee_id = e.id) FROM employees e ORDER BY id`],
    ['c-derived', `SELECT s.n FROM (SELECT name AS n FROM employees) s ORDER BY 1`],
    ['c-in-subquery', `SELECT name FROM departments WHERE id IN (SELECT dept_id FROM employees WHERE hired < '2020-01-01') ORDER BY 1`],
    ['c-exists-correlated', `SELECT d.name FROM departments d WHERE EXISTS (SELECT 1 FROM employees e WHERE e.dept_id = d.id AND e.name LIKE 'Z%') ORDER BY 1`],
    ['c-compare-subquery', `SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders) ORDER BY id`],
    ['c-limit-subquery', `SELECT id FROM employees ORDER BY id LIMIT (SELECT count(*) FROM departments)`],
    ['c-json-each', `SELECT e.id, j.value FROM employees e, json_each(json_array(e.name, e.dept_id)) j ORDER BY e.id, j.key`],
  ]),

  ...benignGroup('masked-selected', 'model', [
    ['ms-email', `SELECT id, email FROM employees ORDER BY id`],
    ['ms-salary', `SELECT id, salary FROM employees ORDER BY id`],
    ['ms-star', `SELECT * FROM employees ORDER BY id`],
    ['ms-alias-star', `SELECT e.* FROM employees e ORDER BY e.id`],
    ['ms-qualified-star', `SELECT * FROM main.employees ORDER BY id`],
    ['ms-alias', `SELECT email AS contact FROM employees ORDER BY id`],
    ['ms-derived', `SELECT m FROM (SELECT id, email AS m FROM employees) s ORDER BY id`],
    ['ms-cte', `WITH c AS (SELECT id, email, salary FROM employees) SELECT email, salary FROM c ORDER BY id`],
    ['ms-colnames', `WITH e(a, b, c) AS (SELECT id, name, email FROM employees) SELECT c FROM e ORDER BY a`],
    ['ms-scalar-subquery', `SELECT (SELECT e.email) FROM employees e ORDER BY e.id`],
    ['ms-json-object', `SELECT json_object('id', id, 'email', email, 'salary', salary) FROM employees ORDER BY id`],
    ['ms-join', `SELECT o.id, e.email FROM orders o JOIN employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['ms-union-email', `SELECT email FROM employees UNION ALL SELECT 'x@y.example' ORDER BY 1`],
    ['ms-group-concat', `SELECT group_concat(email, ',' ORDER BY id) FROM employees`],
    ['ms-upper', `SELECT upper(email) FROM employees ORDER BY id`],
    ['ms-coalesce', `SELECT coalesce(salary, 0), coalesce(email, '-') FROM employees ORDER BY id`],
    ['ms-natural-join', `SELECT * FROM employees NATURAL JOIN (SELECT 3 AS id) ORDER BY id`],
    ['ms-qualified-column', `SELECT main.employees.email FROM main.employees ORDER BY id`],
  ]),

  ...benignGroup('masked-used', 'model', [
    ['mu-filter-like', `SELECT id FROM employees WHERE email LIKE 'z%' ORDER BY id`],
    ['mu-filter-eq-masked', `SELECT id FROM employees WHERE email = 'z***@corp.example' ORDER BY id`],
    ['mu-filter-domain', `SELECT count(*) FROM employees WHERE email LIKE '%@corp.example'`],
    ['mu-filter-null-salary', `SELECT count(*) FROM employees WHERE salary IS NULL`],
    ['mu-filter-salary-gt', `SELECT count(*) FROM employees WHERE salary > 0`],
    ['mu-group-by-email', `SELECT email, count(*) FROM employees GROUP BY email ORDER BY email`],
    ['mu-group-by-position', `SELECT email, count(*) FROM employees GROUP BY 1 ORDER BY 1`],
    ['mu-distinct-email', `SELECT DISTINCT email FROM employees ORDER BY 1`],
    ['mu-count-distinct', `SELECT count(DISTINCT email) FROM employees`],
    ['mu-order-by-email', `SELECT id FROM employees ORDER BY email, id`],
    ['mu-order-by-salary', `SELECT id FROM employees ORDER BY salary, id`],
    ['mu-window-partition', `SELECT id, count(*) OVER (PARTITION BY email) FROM employees ORDER BY id`],
    ['mu-window-order-email', `SELECT id, rank() OVER (ORDER BY email) FROM employees ORDER BY id`],
    ['mu-self-join-email', `SELECT a.id, b.id FROM employees a JOIN employees b ON a.email = b.email AND a.id < b.id ORDER BY 1, 2`],
    ['mu-length', `SELECT id, length(email) FROM employees ORDER BY id`],
    ['mu-split-domain', `SELECT substr(email, instr(email, '@') + 1), count(*) FROM employees GROUP BY 1 ORDER BY 1`],
    ['mu-max-min', `SELECT max(email), min(email), max(salary) FROM employees`],
    ['mu-case', `SELECT id, CASE WHEN email IS NULL THEN 'none' ELSE 'some' END FROM employees ORDER BY id`],
    ['mu-sum-salary', `SELECT sum(salary), avg(salary), count(salary) FROM employees`],
    ['mu-having-email', `SELECT dept_id FROM employees GROUP BY dept_id HAVING count(email) > 1 ORDER BY 1`],
    ['mu-in-subquery', `SELECT count(*) FROM employees WHERE email IN (SELECT email FROM employees WHERE id = 3)`],
    ['mu-union-dedupe', `SELECT email FROM employees WHERE id = 3 UNION SELECT email FROM employees WHERE id = 4`],
    ['mu-intersect', `SELECT email FROM employees INTERSECT SELECT 'z***@corp.example'`],
    ['mu-hex', `SELECT hex(email) FROM employees WHERE id = 3`],
    ['mu-param', `SELECT id FROM employees WHERE email = ? ORDER BY id`, ['z***@corp.example']],
    ['mu-json-filter', `SELECT count(*) FROM employees WHERE json_object('email', email) ->> '$.email' LIKE 'z***%'`],
    ['mu-qualified-filter', `SELECT id FROM main.employees WHERE main.employees.email LIKE 'z%' ORDER BY id`],
  ]),

  ...benignGroup('hash-masked', 'model', [
    ['h-count-distinct-phone', `SELECT count(DISTINCT phone) FROM contacts`],
    ['h-group-by-phone-counts', `SELECT count(*) AS n FROM contacts GROUP BY phone ORDER BY n`],
    ['h-self-join-phone', `SELECT a.id, b.id FROM contacts a JOIN contacts b ON a.phone = b.phone AND a.id < b.id ORDER BY 1, 2`],
    ['h-not-null', `SELECT count(*) FROM contacts WHERE phone IS NOT NULL`],
    ['h-city', `SELECT city, count(*) FROM contacts GROUP BY city ORDER BY city`],
  ]),
  {
    id: 'h-prefix',
    cls: 'hash-masked',
    sql: `SELECT count(*) FROM contacts WHERE phone LIKE 'hmac:%'`,
    expect: 'model',
    modelSql: 'SELECT count(*) FROM contacts WHERE phone IS NOT NULL',
  },
  ...benignGroup('hash-masked', 'succeeds', [
    ['h-select-phone', `SELECT id, phone FROM contacts ORDER BY id`],
    ['h-star', `SELECT * FROM contacts ORDER BY id`],
    ['h-derived', `SELECT p FROM (SELECT phone AS p FROM contacts) s`],
    ['h-distinct', `SELECT DISTINCT phone FROM contacts`],
    ['h-join-employee', `SELECT e.name, c.phone FROM employees e JOIN contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['h-explain-plan-unruled', `EXPLAIN QUERY PLAN SELECT name FROM departments WHERE id = 3`],
  ]),

  // More of the same classes, so the benign corpus is as large as the attack corpus.
  ...benignGroup('allowed-columns', 'model', [
    ['ac2-upper-name', `SELECT upper(name) FROM employees ORDER BY id`],
    ['ac2-substr-name', `SELECT substr(name, 1, 3) FROM employees ORDER BY id`],
    ['ac2-instr-name', `SELECT id, instr(name, ' ') FROM employees ORDER BY id`],
    ['ac2-replace-name', `SELECT replace(name, ' ', '_') FROM employees ORDER BY id`],
    ['ac2-trim', `SELECT trim('  ' || name || '  ') FROM employees ORDER BY id`],
    ['ac2-printf', `SELECT printf('%05d-%s', id, name) FROM employees ORDER BY id`],
    ['ac2-julianday', `SELECT id, julianday('2025-01-01') - julianday(hired) FROM employees ORDER BY id`],
    ['ac2-date-modifier', `SELECT date(hired, '+1 month') FROM employees ORDER BY id`],
    ['ac2-unixepoch', `SELECT unixepoch(hired) FROM employees ORDER BY id`],
    ['ac2-typeof', `SELECT typeof(id), typeof(name), typeof(hired) FROM employees ORDER BY id`],
    ['ac2-between-ids', `SELECT name FROM employees WHERE id BETWEEN 2 AND 4 ORDER BY id`],
    ['ac2-not-in', `SELECT name FROM employees WHERE dept_id NOT IN (1) ORDER BY id`],
    ['ac2-is-null-dept', `SELECT count(*) FROM employees WHERE dept_id IS NOT NULL`],
    ['ac2-limit-offset', `SELECT name FROM employees ORDER BY id LIMIT 2 OFFSET 1`],
    ['ac2-collate', `SELECT name FROM employees ORDER BY name COLLATE NOCASE DESC`],
    ['ac2-glob-name', `SELECT id FROM employees WHERE name GLOB 'Z*' ORDER BY id`],
    ['ac2-iif', `SELECT id, iif(dept_id = 2, 'sales', 'other') FROM employees ORDER BY id`],
    ['ac2-coalesce-dept', `SELECT coalesce(dept_id, 0) FROM employees ORDER BY id`],
    ['ac2-rowid-free-order', `SELECT name FROM employees ORDER BY hired DESC LIMIT 3`],
    ['ac2-string-qualified', `SELECT name FROM 'main'.'employees' ORDER BY id`],
    ['ac2-string-table', `SELECT name, email FROM 'employees' ORDER BY id`],
    ['ac2-string-schema-masked', `SELECT email FROM 'main'.employees WHERE email IS NOT NULL ORDER BY id`],
    ['ac2-quoted-columns', `SELECT "id", [name], \`hired\` FROM employees ORDER BY 1`],
  ]),
  ...benignGroup('joins', 'model', [
    ['j2-emp-orders-count', `SELECT e.name, count(o.id) FROM employees e LEFT JOIN orders o ON o.employee_id = e.id GROUP BY e.id, e.name ORDER BY e.id`],
    ['j2-dept-budget-per-head', `SELECT d.name, d.budget / count(e.id) FROM departments d JOIN employees e ON e.dept_id = d.id GROUP BY d.id, d.name, d.budget ORDER BY d.id`],
    ['j2-customer-employee', `SELECT DISTINCT c.name, e.name FROM orders o JOIN customers c ON c.id = o.customer_id JOIN employees e ON e.id = o.employee_id ORDER BY 1, 2`],
    ['j2-join-on-masked-null', `SELECT count(*) FROM employees a JOIN employees b ON a.salary = b.salary`],
    ['j2-join-email-to-contacts', `SELECT e.id, c.city FROM employees e JOIN contacts c ON c.employee_id = e.id WHERE e.email LIKE 'z%' ORDER BY e.id`],
    ['j2-natural-departments', `SELECT count(*) FROM departments NATURAL JOIN (SELECT 1 AS id)`],
    ['j2-exists-orders', `SELECT e.name FROM employees e WHERE EXISTS (SELECT 1 FROM orders o WHERE o.employee_id = e.id AND o.amount > 100) ORDER BY e.id`],
    ['j2-not-exists-orders', `SELECT e.name FROM employees e WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.employee_id = e.id) ORDER BY e.id`],
  ]),
  ...benignGroup('aggregates', 'model', [
    ['a2-sum-distinct-dept', `SELECT count(DISTINCT dept_id), sum(id) FROM employees`],
    ['a2-avg-per-status', `SELECT status, round(avg(amount), 2) FROM orders GROUP BY status ORDER BY 1`],
    ['a2-max-per-customer', `SELECT customer_id, max(amount) FROM orders GROUP BY customer_id ORDER BY 1`],
    ['a2-count-masked-nonnull', `SELECT count(email), count(salary), count(*) FROM employees`],
    ['a2-group-masked-email-count', `SELECT count(*) FROM (SELECT email FROM employees GROUP BY email)`],
    ['a2-having-sum', `SELECT employee_id FROM orders GROUP BY employee_id HAVING sum(amount) > 150 ORDER BY 1`],
    ['a2-group-concat-distinct', `SELECT group_concat(DISTINCT status) IS NOT NULL FROM orders`],
    ['a2-min-email', `SELECT min(email) FROM employees WHERE email IS NOT NULL`],
  ]),
  ...benignGroup('windows', 'model', [
    ['w2-running-count-masked', `SELECT id, count(email) OVER (ORDER BY id) FROM employees ORDER BY id`],
    ['w2-rank-masked-email', `SELECT id, dense_rank() OVER (ORDER BY email) FROM employees ORDER BY id`],
    ['w2-lag-email', `SELECT id, lag(email) OVER (ORDER BY id) FROM employees ORDER BY id`],
    ['w2-first-value-salary', `SELECT id, first_value(salary) OVER (ORDER BY id) FROM employees ORDER BY id`],
    ['w2-sum-partition-dept', `SELECT id, sum(id) OVER (PARTITION BY dept_id) FROM employees ORDER BY id`],
    ['w2-window-qualified', `SELECT id, row_number() OVER (ORDER BY hired DESC) FROM main.employees ORDER BY id`],
    ['w2-window-in-cte', `WITH r AS (SELECT id, rank() OVER (ORDER BY hired) AS k FROM employees) SELECT id FROM r WHERE k <= 2 ORDER BY id`],
    ['w2-filter-masked', `SELECT count(*) FILTER (WHERE email LIKE 'z%') FROM employees`],
  ]),
  ...benignGroup('set-operations', 'model', [
    ['s2-union-masked-email', `SELECT email FROM employees UNION SELECT name FROM departments ORDER BY 1`],
    ['s2-except-masked', `SELECT email FROM employees EXCEPT SELECT 'a***@corp.example' ORDER BY 1`],
    ['s2-intersect-names', `SELECT name FROM employees INTERSECT SELECT name FROM employees WHERE dept_id = 1 ORDER BY 1`],
    ['s2-union-all-salary', `SELECT salary FROM employees UNION ALL SELECT budget FROM departments ORDER BY 1`],
  ]),
  ...benignGroup('ctes-subqueries', 'model', [
    ['c2-scalar-masked', `SELECT (SELECT email FROM employees WHERE id = 3)`],
    ['c2-in-masked', `SELECT id FROM employees WHERE email IN (SELECT email FROM employees WHERE dept_id = 3) ORDER BY id`],
    ['c2-cte-masked-filter', `WITH m AS (SELECT id, email FROM employees) SELECT id FROM m WHERE email = 'z***@corp.example' ORDER BY id`],
    ['c2-recursive-with-table', `WITH RECURSIVE r(n) AS (SELECT min(id) FROM employees UNION ALL SELECT n + 1 FROM r WHERE n < (SELECT max(id) FROM employees)) SELECT count(*) FROM r`],
    ['c2-derived-star', `SELECT * FROM (SELECT * FROM employees) ORDER BY id`],
    ['c2-cte-star-qualified', `WITH x AS (SELECT * FROM main.employees) SELECT * FROM x ORDER BY id`],
  ]),
  ...benignGroup('masked-used', 'model', [
    ['mu2-email-domain-count', `SELECT count(*) FROM employees WHERE email LIKE '%@corp.example' AND salary IS NULL`],
    ['mu2-masked-in-json', `SELECT json_object('e', email) FROM employees ORDER BY id`],
    ['mu2-masked-in-case', `SELECT CASE email WHEN 'z***@corp.example' THEN 'z' ELSE 'other' END FROM employees ORDER BY id`],
    ['mu2-masked-concat', `SELECT name || ' <' || coalesce(email, '-') || '>' FROM employees ORDER BY id`],
    ['mu2-masked-nullif', `SELECT nullif(email, 'z***@corp.example') FROM employees ORDER BY id`],
  ]),
  ...benignGroup('hash-masked', 'succeeds', [
    ['h2-phone-qualified', `SELECT phone FROM main.contacts ORDER BY id`],
    ['h2-phone-length', `SELECT length(phone) FROM contacts`],
  ]),

  ...benignGroup('named-objects', 'model', [
    ['n-headcount-view', `SELECT secrets FROM headcount`],
    ['n-directory-names', `SELECT name FROM directory WHERE id < 3 ORDER BY id`],
    ['n-builtin-lower', `SELECT lower(name) FROM departments ORDER BY id`],
    ['n-builtin-abs', `SELECT abs(-5), abs(-2.5)`],
    ['n-builtin-concat', `SELECT 'a' || 'b', name || '!' FROM departments ORDER BY id`],
  ]),
];

/**
 * Attacks that still leak with column security by construction on SQLite. The runner marks
 * them `it.fails`: when a change stops one, its test goes red until the id is removed here.
 * None today: the view a rule names (directory) is shadowed by a TEMP view of its own
 * definition, whose names find the shadowed tables first.
 */
export const SQLITE_KNOWN_LEAKS: ReadonlySet<string> = new Set<string>([]);

/**
 * Benign cases refused or answered differently from the model. Same rule: `it.fails` until
 * fixed. Both are refused for every role: node-sql-parser's SQLite grammar has no VALUES
 * in a compound select and no LIMIT expression other than a number or parameter.
 */
export const SQLITE_KNOWN_FALSE_POSITIVES: ReadonlySet<string> = new Set<string>(['s-union-values', 'c-limit-subquery']);
