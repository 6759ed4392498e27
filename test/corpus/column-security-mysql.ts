/**
 * Column-security corpus for MySQL/MariaDB (issue 17): the MySQL equivalents of the cases of
 * test/corpus/column-security.ts, over test/fixtures/column-security/schema-mysql.sql, judged
 * by effect in test/authorize/column-security-mysql.test.ts against a real MariaDB.
 *
 * Same role shape, planted values and judgement: role `analyst` may read hr.* and pub.*,
 * never hr.salaries_secret; hr.employees.ssn is denied, hr.employees.email masked
 * `partial`, hr.employees.salary masked `null`, hr.contacts.phone masked `hash`. An attack
 * must leave no planted value (or its encodings) in any answer or error, and the two halves
 * of a `twin` pair must get the same answer; a refusal is always acceptable. A benign case
 * must be answered, with nothing planted, and (expect 'model') exactly as the unrestricted
 * role answers it with hr.employees read from model.employees.
 *
 * `hr.`, `pub.`, `reports.` and `model.` (and the same names in backquotes) are database
 * names the runner prefixes. PostgreSQL cases without a MySQL equivalent are left out:
 * derived column lists `AS e(a, b)` (MariaDB has none), LATERAL, ARRAY(), FILTER,
 * whole-row values and attribute notation, `::` casts, operators and aggregates a user
 * defines, pg_get_*def and pg_stats (their counterparts — information_schema, mysql.*,
 * comments — are here).
 */
import { PLANTED } from './column-security.js';

export { PLANTED };
export type Param = string | number | boolean | null;

export type AttackClass = 'baseline' | 'renaming' | 'inference' | 'errors' | 'whole-row' | 'name-resolution' | 'definitions' | 'views';

export interface AttackCase {
  id: string;
  cls: AttackClass;
  sql: string;
  params?: Param[];
  twin?: string;
  twinParams?: Param[];
}

export type BenignClass =
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

export interface BenignCase {
  id: string;
  cls: BenignClass;
  sql: string;
  params?: Param[];
  expect: 'model' | 'succeeds';
  modelSql?: string;
}

/** The role under test; the runner prefixes the database names. */
export const analystRole = (db: (name: string) => string): Record<string, unknown> => ({
  tools: ['list_*', 'describe_table', 'query', 'explain'],
  tables: { allow: [`${db('hr')}.*`, `${db('pub')}.*`, `${db('reports')}.headcount`, `${db('reports')}.directory`], deny: [`${db('hr')}.salaries_secret`] },
  columns: {
    deny: [`${db('hr')}.employees.ssn`],
    mask: { [`${db('hr')}.employees.email`]: 'partial', [`${db('hr')}.employees.salary`]: 'null', [`${db('hr')}.contacts.phone`]: 'hash' },
  },
});

type A = [id: string, sql: string, twin?: string];
const group = (cls: AttackClass, rows: A[]): AttackCase[] => rows.map(([id, sql, twin]) => ({ id, cls, sql, ...(twin === undefined ? {} : { twin }) }));

export const attacks: readonly AttackCase[] = [
  ...group('baseline', [
    ['b-ssn-direct', `SELECT ssn FROM hr.employees`],
    ['b-ssn-alias', `SELECT ssn AS x FROM hr.employees`],
    ['b-ssn-upper-case', `SELECT SSN FROM hr.EMPLOYEES`],
    ['b-ssn-backquoted', 'SELECT `ssn` FROM `hr`.`employees`'],
    ['b-ssn-three-part', `SELECT hr.employees.ssn FROM hr.employees`],
    ['b-email-direct', `SELECT email FROM hr.employees`],
    ['b-salary-direct', `SELECT salary FROM hr.employees`],
    ['b-phone-direct', `SELECT phone FROM hr.contacts`],
    ['b-email-three-part', `SELECT hr.employees.email FROM hr.employees`],
    ['b-secret-star', `SELECT * FROM hr.salaries_secret`],
    ['b-secret-quoted', 'SELECT `token` FROM `hr`.`salaries_secret`'],
    ['b-secret-subquery', `SELECT (SELECT token FROM hr.salaries_secret ORDER BY id LIMIT 1)`],
    ['b-secret-exists', `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token = 'TOKEN-7f3a9c2e')`, `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token = 'TOKEN-7f3a9c2f')`],
    ['b-secret-any', `SELECT 'TOKEN-7f3a9c2e' = ANY (SELECT token FROM hr.salaries_secret)`, `SELECT 'TOKEN-7f3a9c2f' = ANY (SELECT token FROM hr.salaries_secret)`],
    ['b-ssn-some', `SELECT '372-81-5096' = SOME (SELECT ssn FROM hr.employees)`, `SELECT '372-81-5097' = SOME (SELECT ssn FROM hr.employees)`],
    ['b-secret-parenthesized-join', `SELECT s.token FROM (hr.salaries_secret s JOIN hr.departments d ON d.id = s.id)`],
    ['b-ssn-where', `SELECT id FROM hr.employees WHERE ssn = '372-81-5096'`, `SELECT id FROM hr.employees WHERE ssn = '372-81-5097'`],
    ['b-ssn-parenthesized-join', `SELECT e.ssn FROM (hr.employees e JOIN hr.departments d ON d.id = e.dept_id)`],
  ]),

  ...group('renaming', [
    ['r-scalar-subquery-email', `SELECT (SELECT e.email) FROM hr.employees e ORDER BY e.id`],
    ['r-scalar-subquery-salary', `SELECT (SELECT e.salary) FROM hr.employees e ORDER BY e.id`],
    ['r-scalar-subquery-ssn', `SELECT (SELECT e2.ssn FROM hr.employees e2 WHERE e2.id = e.id) FROM hr.employees e`],
    ['r-derived-max-salary', `SELECT max(x) FROM (SELECT salary AS x FROM hr.employees) s`],
    ['r-derived-email', `SELECT x FROM (SELECT email AS x FROM hr.employees) s`],
    ['r-derived-ssn', `SELECT x FROM (SELECT ssn AS x FROM hr.employees) s`],
    ['r-derived-star-ssn', `SELECT s.ssn FROM (SELECT * FROM hr.employees) s`],
    ['r-derived-nested-3', `SELECT z FROM (SELECT y AS z FROM (SELECT email AS y FROM hr.employees) a) b`],
    ['r-derived-phone', `SELECT p FROM (SELECT phone AS p FROM hr.contacts) s`],
    ['r-group-concat-renamed-email', `SELECT group_concat(m) FROM (SELECT email AS m FROM hr.employees) s`],
    ['r-cte-colnames-email', `WITH c(a) AS (SELECT email FROM hr.employees) SELECT a FROM c`],
    ['r-cte-colnames-salary', `WITH c(a, b) AS (SELECT id, salary FROM hr.employees) SELECT b FROM c ORDER BY a`],
    ['r-cte-star', `WITH c AS (SELECT * FROM hr.employees) SELECT c.* FROM c`],
    ['r-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT s FROM c`],
    ['r-cte-named-like-table', `WITH employees AS (SELECT * FROM hr.employees) SELECT ssn FROM employees`],
    ['r-recursive-cte-email', `WITH RECURSIVE r(n, v) AS (SELECT 1, email FROM hr.employees WHERE id = 3 UNION ALL SELECT n + 1, v FROM r WHERE n < 2) SELECT v FROM r`],
    ['r-union-email', `SELECT email FROM hr.employees UNION ALL SELECT 'x'`],
    ['r-union-ssn', `SELECT name FROM hr.employees UNION SELECT ssn FROM hr.employees`],
    ['r-union-derived-ssn', `SELECT x FROM (SELECT name AS x FROM hr.departments UNION ALL SELECT ssn FROM hr.employees) s`],
    ['r-intersect-salary', `SELECT salary FROM hr.employees INTERSECT SELECT 987654`, `SELECT salary FROM hr.employees INTERSECT SELECT 987655`],
    ['r-except-email', `SELECT email FROM hr.employees EXCEPT SELECT 'nobody'`],
    ['r-coalesce-email', `SELECT coalesce(email, '') FROM hr.employees`],
    ['r-concat-email', `SELECT concat(email, '') FROM hr.employees`],
    ['r-concat-ws-email', `SELECT concat_ws('|', name, email) FROM hr.employees`],
    ['r-cast-char-salary', `SELECT CAST(salary AS CHAR) FROM hr.employees`],
    ['r-case-email', `SELECT CASE WHEN 1 = 1 THEN email END FROM hr.employees`],
    ['r-if-email', `SELECT IF(1 = 1, email, NULL) FROM hr.employees`],
    ['r-ifnull-salary', `SELECT ifnull(salary, 0) FROM hr.employees`],
    ['r-greatest-salary', `SELECT greatest(salary, 0) FROM hr.employees`],
    ['r-json-object-email', `SELECT json_object('e', email) FROM hr.employees`],
    ['r-json-arrayagg-email', `SELECT json_arrayagg(email) FROM hr.employees`],
    ['r-group-concat-salary', `SELECT group_concat(salary) FROM hr.employees`],
    ['r-first-value-email', `SELECT first_value(email) OVER (ORDER BY id) FROM hr.employees`],
    ['r-lag-salary', `SELECT lag(salary) OVER (ORDER BY id) FROM hr.employees`],
    ['r-upper-email', `SELECT upper(email) FROM hr.employees`],
    ['r-reverse-email', `SELECT reverse(reverse(email)) FROM hr.employees`],
    ['r-hex-salary', `SELECT hex(salary) FROM hr.employees`],
    ['r-to-base64-email', `SELECT to_base64(email) FROM hr.employees`],
    ['r-hex-email', `SELECT hex(email) FROM hr.employees`],
    ['r-replace-email', `SELECT replace(email, '@', '#') FROM hr.employees`],
    ['r-insert-email', `SELECT insert(email, 1, 0, '>') FROM hr.employees`],
    ['r-substring-index-email', `SELECT substring_index(email, '@', 1) FROM hr.employees`],
    ['r-derived-hex-salary', `SELECT hex(s) FROM (SELECT salary AS s FROM hr.employees) t`],
    ['r-derived-base64-email', `SELECT to_base64(m) FROM (SELECT email AS m FROM hr.employees) t`],
    ['r-cte-upper-email', `WITH c AS (SELECT email AS m FROM hr.employees) SELECT upper(m) FROM c`],
    ['r-derived-json-email', `SELECT json_object('k', m) FROM (SELECT email AS m FROM hr.employees) t`],
    ['r-json-extract-email', `SELECT json_unquote(json_extract(json_object('k', email), '$.k')) FROM hr.employees`],
    ['r-in-where-subquery-ssn', `SELECT name FROM hr.employees WHERE id IN (SELECT id FROM (SELECT id, ssn FROM hr.employees) s) ORDER BY ssn`],
    ['r-join-self-ssn', `SELECT b.ssn FROM hr.employees a JOIN hr.employees b ON a.id = b.id`],
  ]),

  ...group('inference', [
    // Unordered reads through a covering index on a protected column (employees_ssn):
    // the order, the first row and an unordered GROUP_CONCAT would follow the protected values.
    ['i-order-covering-ssn', `SELECT GROUP_CONCAT(id) FROM hr.employees`, `SELECT GROUP_CONCAT(id ORDER BY id) FROM hr.employees`],
    ['i-order-first-row', `SELECT id FROM hr.employees LIMIT 1`, `SELECT id FROM hr.employees ORDER BY id LIMIT 1`],
    ['i-in-subquery-salary', `SELECT 987654 IN (SELECT salary FROM hr.employees)`, `SELECT 987655 IN (SELECT salary FROM hr.employees)`],
    ['i-any-salary', `SELECT 987654 = ANY (SELECT salary FROM hr.employees)`, `SELECT 987655 = ANY (SELECT salary FROM hr.employees)`],
    ['i-all-salary', `SELECT 987000 < ALL (SELECT salary FROM hr.employees WHERE id = 3)`, `SELECT 988000 < ALL (SELECT salary FROM hr.employees WHERE id = 3)`],
    ['i-exists-salary', `SELECT EXISTS (SELECT 1 FROM hr.employees WHERE salary > 987653)`, `SELECT EXISTS (SELECT 1 FROM hr.employees WHERE salary > 987655)`],
    ['i-scalar-compare-salary', `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > 987653`, `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > 987655`],
    ['i-where-salary', `SELECT id FROM hr.employees WHERE salary > 987653 ORDER BY id`, `SELECT id FROM hr.employees WHERE salary > 987655 ORDER BY id`],
    ['i-where-derived-email', `SELECT n FROM (SELECT id AS n, email AS m FROM hr.employees) s WHERE m LIKE 'zed.k%'`, `SELECT n FROM (SELECT id AS n, email AS m FROM hr.employees) s WHERE m LIKE 'zed.q%'`],
    ['i-where-email-eq', `SELECT id FROM hr.employees WHERE email = 'zed.kowalczyk@corp.example'`, `SELECT id FROM hr.employees WHERE email = 'zed.kowalczyx@corp.example'`],
    ['i-where-email-like', `SELECT id FROM hr.employees WHERE email LIKE 'zed.%'`, `SELECT id FROM hr.employees WHERE email LIKE 'zex.%'`],
    ['i-where-ssn-derived', `SELECT i FROM (SELECT id AS i, ssn AS d FROM hr.employees) t WHERE d LIKE '372%'`, `SELECT i FROM (SELECT id AS i, ssn AS d FROM hr.employees) t WHERE d LIKE '373%'`],
    ['i-order-by-position', `SELECT id, salary FROM hr.employees ORDER BY 2, 1`, `SELECT id, salary FROM hr.employees ORDER BY 2 DESC, 1`],
    ['i-order-by-alias', `SELECT id, salary AS s FROM hr.employees ORDER BY s, id`, `SELECT id, salary AS s FROM hr.employees ORDER BY s DESC, id`],
    ['i-order-by-hidden-salary', `SELECT id FROM hr.employees ORDER BY salary, id`, `SELECT id FROM hr.employees ORDER BY salary DESC, id`],
    ['i-order-by-subquery', `SELECT id FROM hr.employees e ORDER BY (SELECT e.salary), id`, `SELECT id FROM hr.employees e ORDER BY (SELECT -e.salary), id`],
    ['i-order-by-ssn', `SELECT id FROM hr.employees ORDER BY ssn, id`, `SELECT id FROM hr.employees ORDER BY ssn DESC, id`],
    ['i-order-by-ssn-star', `SELECT id FROM (SELECT * FROM hr.employees) s ORDER BY s.ssn, id`, `SELECT id FROM (SELECT * FROM hr.employees) s ORDER BY s.ssn DESC, id`],
    ['i-order-by-email', `SELECT id FROM hr.employees WHERE id IN (3, 4) ORDER BY email, id`, `SELECT id FROM hr.employees WHERE id IN (3, 4) ORDER BY email DESC, id`],
    ['i-order-limit-pick', `SELECT name FROM hr.employees WHERE id IN (3, 4) ORDER BY email, id LIMIT 1`, `SELECT name FROM hr.employees WHERE id IN (3, 4) ORDER BY email DESC, id LIMIT 1`],
    ['i-distinct-email', `SELECT DISTINCT email FROM hr.employees WHERE id IN (3, 4)`, `SELECT DISTINCT email FROM hr.employees WHERE id IN (3, 3)`],
    ['i-distinct-count-email', `SELECT count(DISTINCT email) FROM hr.employees WHERE id IN (3, 4)`, `SELECT count(DISTINCT email) FROM hr.employees WHERE id IN (3, 3)`],
    ['i-group-by-email', `SELECT count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY email`, `SELECT count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY left(email, 1)`],
    ['i-group-by-position-email', `SELECT email, count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY 1`, `SELECT 'z***@corp.example', count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY 1`],
    ['i-group-by-salary-count', `SELECT count(*) FROM (SELECT salary FROM hr.employees GROUP BY salary) s`, `SELECT count(*) FROM (SELECT NULL AS s FROM hr.employees GROUP BY 1) s`],
    ['i-having-salary', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING max(salary) > 987653 ORDER BY 1`, `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING max(salary) > 987655 ORDER BY 1`],
    ['i-window-rank-salary', `SELECT id, rank() OVER (ORDER BY salary, id) FROM hr.employees ORDER BY id`, `SELECT id, rank() OVER (ORDER BY salary DESC, id) FROM hr.employees ORDER BY id`],
    ['i-window-partition-email', `SELECT id, count(*) OVER (PARTITION BY email) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, count(*) OVER (PARTITION BY left(email, 1)) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-row-number-email', `SELECT id, row_number() OVER (ORDER BY email, id) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, row_number() OVER (ORDER BY email DESC, id) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-percent-rank-salary', `SELECT id, percent_rank() OVER (ORDER BY salary, id) FROM hr.employees ORDER BY id`, `SELECT id, percent_rank() OVER (ORDER BY salary DESC, id) FROM hr.employees ORDER BY id`],
    ['i-count-between-salary', `SELECT count(*) FROM hr.employees WHERE salary BETWEEN 987000 AND 988000`, `SELECT count(*) FROM hr.employees WHERE salary BETWEEN 986000 AND 987000`],
    ['i-count-renamed-salary', `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t WHERE s > 987653`, `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t WHERE s > 987655`],
    ['i-sum-if-salary', `SELECT sum(IF(salary > 987653, 1, 0)) FROM hr.employees`, `SELECT sum(IF(salary > 987655, 1, 0)) FROM hr.employees`],
    ['i-case-salary', `SELECT CASE WHEN salary > 987653 THEN 'y' ELSE 'n' END FROM hr.employees WHERE id = 3`, `SELECT CASE WHEN salary > 987655 THEN 'y' ELSE 'n' END FROM hr.employees WHERE id = 3`],
    ['i-nullif-salary', `SELECT nullif(salary, 987654) IS NULL FROM hr.employees WHERE id = 3`, `SELECT nullif(salary, 987655) IS NULL FROM hr.employees WHERE id = 3`],
    ['i-null-safe-eq-salary', `SELECT count(*) FROM hr.employees WHERE salary <=> 987654`, `SELECT count(*) FROM hr.employees WHERE salary <=> 987655`],
    ['i-row-compare-salary', `SELECT count(*) FROM hr.employees e WHERE (e.id, e.salary) > (3, 987653)`, `SELECT count(*) FROM hr.employees e WHERE (e.id, e.salary) > (3, 987655)`],
    ['i-tuple-in-salary', `SELECT count(*) FROM hr.employees WHERE (id, salary) IN ((3, 987654))`, `SELECT count(*) FROM hr.employees WHERE (id, salary) IN ((3, 987655))`],
    ['i-field-salary', `SELECT field(987654, salary) FROM hr.employees WHERE id = 3`, `SELECT field(987655, salary) FROM hr.employees WHERE id = 3`],
    ['i-interval-salary', `SELECT interval(salary, 987653) FROM hr.employees WHERE id = 3`, `SELECT interval(salary, 987655) FROM hr.employees WHERE id = 3`],
    ['i-repeat-length-salary', `SELECT length(repeat('x', (SELECT salary - 987650 FROM hr.employees WHERE id = 3)))`, `SELECT length(repeat('x', (SELECT salary - 987651 FROM hr.employees WHERE id = 3)))`],
    ['i-join-on-salary', `SELECT count(*) FROM hr.employees e JOIN (SELECT 987654 AS s) v ON e.salary = v.s`, `SELECT count(*) FROM hr.employees e JOIN (SELECT 987655 AS s) v ON e.salary = v.s`],
    ['i-join-on-salary-range', `SELECT count(*) FROM hr.employees e JOIN hr.departments d ON e.salary > d.budget`, `SELECT count(*) FROM hr.employees e JOIN hr.departments d ON e.salary > d.budget * 2`],
    ['i-except-salary', `SELECT count(*) FROM (SELECT salary FROM hr.employees EXCEPT SELECT 987654) s`, `SELECT count(*) FROM (SELECT salary FROM hr.employees EXCEPT SELECT 987655) s`],
    ['i-join-using-ssn', `SELECT count(*) FROM hr.employees JOIN (SELECT '372-81-5096' AS ssn) v USING (ssn)`, `SELECT count(*) FROM hr.employees JOIN (SELECT '372-81-5097' AS ssn) v USING (ssn)`],
    ['i-natural-join-ssn', `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, '372-81-5096' AS ssn) v`, `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, '372-81-5097' AS ssn) v`],
    ['i-natural-join-email', `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyk@corp.example' AS email) v`, `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyx@corp.example' AS email) v`],
    ['i-in-derived-ssn', `SELECT '372-81-5096' IN (SELECT ssn FROM (SELECT * FROM hr.employees) t)`, `SELECT '372-81-5097' IN (SELECT ssn FROM (SELECT * FROM hr.employees) t)`],
    ['i-substring-derived-ssn', `SELECT substring(d, 1, 3) = '372' FROM (SELECT id AS a, ssn AS d FROM hr.employees) t WHERE a = 3`, `SELECT substring(d, 1, 3) = '373' FROM (SELECT id AS a, ssn AS d FROM hr.employees) t WHERE a = 3`],
    ['i-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT count(*) FROM c WHERE s LIKE '372%'`, `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT count(*) FROM c WHERE s LIKE '373%'`],
    ['i-cte-email', `WITH c(m) AS (SELECT email FROM hr.employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyk@corp.example'`, `WITH c(m) AS (SELECT email FROM hr.employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyx@corp.example'`],
    ['i-length-email', `SELECT length(email) FROM hr.employees WHERE id = 3`, `SELECT length(email) FROM hr.employees WHERE id = 4`],
    ['i-substring-email', `SELECT substring(email, 2, 3) FROM hr.employees WHERE id = 3`, `SELECT substring(email, 2, 3) FROM hr.employees WHERE id = 4`],
    ['i-locate-email', `SELECT locate('.', email) FROM hr.employees WHERE id = 3`, `SELECT locate('.', email) FROM hr.employees WHERE id = 4`],
    ['i-md5-email', `SELECT md5(email) FROM hr.employees WHERE id = 3`, `SELECT md5(email) FROM hr.employees WHERE id = 4`],
    ['i-md5-salary', `SELECT md5(salary) FROM hr.employees WHERE id = 3`, `SELECT md5(salary) FROM hr.employees WHERE id = 4`],
    ['i-sha2-ssn-derived', `SELECT sha2(d, 256) FROM (SELECT id AS a, ssn AS d FROM hr.employees) t WHERE a = 3`, `SELECT sha2(d, 256) FROM (SELECT id AS a, ssn AS d FROM hr.employees) t WHERE a = 4`],
    ['i-crc32-email', `SELECT crc32(email) FROM hr.employees WHERE id = 3`, `SELECT crc32(email) FROM hr.employees WHERE id = 4`],
    ['i-strcmp-email', `SELECT strcmp(email, 'zed.l') FROM hr.employees WHERE id = 3`, `SELECT strcmp(email, 'zed.j') FROM hr.employees WHERE id = 3`],
    ['i-max-min-email', `SELECT max(email) FROM hr.employees WHERE id IN (3, 4)`, `SELECT min(email) FROM hr.employees WHERE id IN (3, 4)`],
    ['i-regexp-email', `SELECT count(*) FROM hr.employees WHERE email REGEXP '^zed[.]k'`, `SELECT count(*) FROM hr.employees WHERE email REGEXP '^zed[.]q'`],
    ['i-rlike-email', `SELECT count(*) FROM hr.employees WHERE email RLIKE 'kowal'`, `SELECT count(*) FROM hr.employees WHERE email RLIKE 'kowax'`],
    ['i-union-dedupe-email', `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 4`, `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 3`],
    ['i-intersect-email', `SELECT count(*) FROM (SELECT email FROM hr.employees WHERE id = 3 INTERSECT SELECT email FROM hr.employees WHERE id = 4) s`, `SELECT count(*) FROM (SELECT email FROM hr.employees WHERE id = 3 INTERSECT SELECT email FROM hr.employees WHERE id = 3) s`],
    ['i-self-join-email', `SELECT count(*) FROM hr.employees a JOIN hr.employees b ON a.email = b.email AND a.id < b.id`, `SELECT count(*) FROM hr.employees a JOIN hr.employees b ON left(a.email, 1) = left(b.email, 1) AND a.id < b.id`],
    ['i-exists-correlated-email', `SELECT id FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.email LIKE 'zed%') ORDER BY id`, `SELECT id FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.email LIKE 'zex%') ORDER BY id`],
    ['i-group-concat-order-salary', `SELECT group_concat(name ORDER BY salary, id) FROM hr.employees`, `SELECT group_concat(name ORDER BY salary DESC, id) FROM hr.employees`],
    ['i-group-concat-order-email', `SELECT group_concat(id ORDER BY email, id) FROM hr.employees WHERE id IN (3, 4)`, `SELECT group_concat(id ORDER BY email DESC, id) FROM hr.employees WHERE id IN (3, 4)`],
    ['i-phone-like', `SELECT count(*) FROM hr.contacts WHERE phone LIKE '+1-555-0142%'`, `SELECT count(*) FROM hr.contacts WHERE phone LIKE '+1-555-0143%'`],
    ['i-phone-substr', `SELECT count(*) FROM hr.contacts WHERE substr(phone, 8, 4) = '0142'`, `SELECT count(*) FROM hr.contacts WHERE substr(phone, 8, 4) = '0143'`],
    ['i-token-like', `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token LIKE 'TOKEN-7%')`, `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token LIKE 'TOKEN-8%')`],
    ['i-derived-order-salary', `SELECT n FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY s, n`, `SELECT n FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY s DESC, n`],
    ['i-derived-distinct-email', `SELECT DISTINCT m FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t`, `SELECT DISTINCT m FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 3)) t`],
    ['i-derived-group-email', `SELECT count(*) FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t GROUP BY m`, `SELECT count(*) FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t GROUP BY left(m, 1)`],
    ['i-derived-window-salary', `SELECT n, rank() OVER (ORDER BY s, n) FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY n`, `SELECT n, rank() OVER (ORDER BY s DESC, n) FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY n`],
    ['i-derived-having-salary', `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM hr.employees) t GROUP BY d HAVING max(s) > 987653 ORDER BY 1`, `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM hr.employees) t GROUP BY d HAVING max(s) > 987655 ORDER BY 1`],
    ['i-derived-join-salary', `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t JOIN hr.departments d ON t.s > d.budget`, `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t JOIN hr.departments d ON t.s > d.budget * 2`],
    ['i-cte-length-email', `WITH c AS (SELECT id, email AS m FROM hr.employees) SELECT length(m) FROM c WHERE id = 3`, `WITH c AS (SELECT id, email AS m FROM hr.employees) SELECT length(m) FROM c WHERE id = 4`],
    ['i-derived-phone-like', `SELECT count(*) FROM (SELECT phone AS p FROM hr.contacts) t WHERE p LIKE '+1-555-0142%'`, `SELECT count(*) FROM (SELECT phone AS p FROM hr.contacts) t WHERE p LIKE '+1-555-0143%'`],
    ['i-cte-scope-escape-ssn', `SELECT count(*) FROM (WITH employees AS (SELECT 3 AS id) SELECT id FROM employees) a JOIN employees e ON e.id = a.id WHERE e.ssn LIKE '372%'`, `SELECT count(*) FROM (WITH employees AS (SELECT 3 AS id) SELECT id FROM employees) a JOIN employees e ON e.id = a.id WHERE e.ssn LIKE '373%'`],
    ['i-alias-named-like-table-salary', `SELECT count(*) FROM pub.orders AS employees JOIN hr.employees e ON e.id = employees.employee_id WHERE e.salary > 987653`, `SELECT count(*) FROM pub.orders AS employees JOIN hr.employees e ON e.id = employees.employee_id WHERE e.salary > 987655`],
    ['i-unicode-before-table-salary', `SELECT '😀é' AS s, id FROM hr.employees WHERE salary > 987653`, `SELECT '😀é' AS s, id FROM hr.employees WHERE salary > 987655`],
    ['i-placeholder-in-string-salary', `SELECT '?' AS q, id FROM hr.employees WHERE salary > 987653`, `SELECT '?' AS q, id FROM hr.employees WHERE salary > 987655`],
    ['i-three-part-salary', `SELECT count(*) FROM hr.employees WHERE hr.employees.salary > 987653`, `SELECT count(*) FROM hr.employees WHERE hr.employees.salary > 987655`],
  ]),
  { id: 'i-param-salary', cls: 'inference', sql: 'SELECT id FROM hr.employees WHERE salary > ? ORDER BY id', params: [987653], twin: 'SELECT id FROM hr.employees WHERE salary > ? ORDER BY id', twinParams: [987655] },
  { id: 'i-param-email', cls: 'inference', sql: 'SELECT count(*) FROM hr.employees WHERE email = ?', params: ['zed.kowalczyk@corp.example'], twin: 'SELECT count(*) FROM hr.employees WHERE email = ?', twinParams: ['zed.kowalczyx@corp.example'] },
  { id: 'i-param-phone', cls: 'inference', sql: 'SELECT count(*) FROM hr.contacts WHERE city = ? AND phone LIKE ?', params: ['Oslo', '+1-555-0142%'], twin: 'SELECT count(*) FROM hr.contacts WHERE city = ? AND phone LIKE ?', twinParams: ['Oslo', '+1-555-0143%'] },

  ...group('errors', [
    ['e-dup-key-rand-email', `SELECT count(*), concat(email, floor(rand(0) * 2)) AS x FROM hr.employees GROUP BY x`],
    ['e-dup-key-rand-ssn', `SELECT count(*), concat((SELECT ssn FROM hr.employees WHERE id = 3), floor(rand(0) * 2)) AS x FROM pub.orders GROUP BY x`],
    ['e-dup-key-rand-phone', `SELECT count(*), concat(phone, floor(rand(0) * 2)) AS x FROM hr.contacts GROUP BY x`],
    ['e-dup-key-rand-salary', `SELECT count(*), concat((SELECT salary FROM hr.employees WHERE id = 3), floor(rand(0) * 2)) AS x FROM pub.orders GROUP BY x`],
    ['e-dup-key-rand-token', `SELECT count(*), concat((SELECT token FROM hr.salaries_secret WHERE id = 1), floor(rand(0) * 2)) AS x FROM pub.orders GROUP BY x`],
    ['e-cast-signed-email', `SELECT CAST(email AS SIGNED) FROM hr.employees WHERE id = 3`],
    ['e-cast-date-email', `SELECT CAST(email AS DATE) FROM hr.employees WHERE id = 3`],
    ['e-json-extract-email', `SELECT json_extract(email, '$') FROM hr.employees WHERE id = 3`],
    ['e-json-path-email', `SELECT json_extract('{}', email) FROM hr.employees WHERE id = 3`],
    ['e-json-keys-derived-email', `SELECT json_keys(m) FROM (SELECT id, email AS m FROM hr.employees) t WHERE id = 3`],
    ['e-str-to-date-email', `SELECT str_to_date(email, '%Y') FROM hr.employees WHERE id = 3`],
    ['e-from-base64-phone', `SELECT from_base64(phone) FROM hr.contacts WHERE id = 3`],
    ['e-div-zero-salary', `SELECT 1 / (salary - 987654) FROM hr.employees WHERE id = 3`, `SELECT 1 / (salary - 987655) FROM hr.employees WHERE id = 3`],
    ['e-exp-overflow-salary', `SELECT exp(salary - 987654 + 710) FROM hr.employees WHERE id = 3`, `SELECT exp(salary - 987655 + 710) FROM hr.employees WHERE id = 3`],
    ['e-bigint-overflow-salary', `SELECT 9223372036854775807 + (salary - 987653) FROM hr.employees WHERE id = 3`, `SELECT 9223372036854775807 + (salary - 987654) FROM hr.employees WHERE id = 3`],
    ['e-bigint-overflow-derived-ssn', `SELECT 9223372036854775807 + (SELECT count(*) FROM (SELECT * FROM hr.employees) t WHERE ssn LIKE '372%')`, `SELECT 9223372036854775807 + (SELECT count(*) FROM (SELECT * FROM hr.employees) t WHERE ssn LIKE '373%')`],
    ['e-regexp-error-salary', `SELECT 'x' REGEXP IF(salary > 987653, '(', 'x') FROM hr.employees WHERE id = 3`, `SELECT 'x' REGEXP IF(salary > 987655, '(', 'x') FROM hr.employees WHERE id = 3`],
    ['e-regexp-pattern-email', `SELECT 'x' REGEXP concat('(', email) FROM hr.employees WHERE id = 3`],
    ['e-subquery-rows-salary', `SELECT (SELECT id FROM hr.employees WHERE salary > 987653 OR id = 1)`, `SELECT (SELECT id FROM hr.employees WHERE salary > 987655 OR id = 1)`],
    ['e-subquery-rows-email', `SELECT (SELECT id FROM hr.employees WHERE email LIKE 'zed%' OR id = 1)`, `SELECT (SELECT id FROM hr.employees WHERE email LIKE 'zex%' OR id = 1)`],
    ['e-derived-div-zero-salary', `SELECT 1 / (s - 987654) FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3`, `SELECT 1 / (s - 987655) FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3`],
    ['e-cte-overflow-salary', `WITH c(i, s) AS (SELECT id, salary FROM hr.employees) SELECT 9223372036854775807 + (s - 987653) FROM c WHERE i = 3`, `WITH c(i, s) AS (SELECT id, salary FROM hr.employees) SELECT 9223372036854775807 + (s - 987654) FROM c WHERE i = 3`],
    ['e-overflow-hash-expression', `SELECT exp(710 + length(phone)) FROM hr.contacts`],
    ['e-overflow-partial-expression', `SELECT exp(710 + length(email)) FROM hr.employees`],
    ['e-cast-in-where-email', `SELECT id FROM hr.employees WHERE CAST(email AS SIGNED) > 0`],
  ]),

  ...group('whole-row', [
    ['w-star', `SELECT * FROM hr.employees`],
    ['w-alias-star', `SELECT e.* FROM hr.employees e`],
    ['w-table-star', `SELECT employees.* FROM hr.employees`],
    ['w-db-table-star', `SELECT hr.employees.* FROM hr.employees`],
    ['w-contacts-star', `SELECT * FROM hr.contacts`],
    ['w-derived-star', `SELECT * FROM (SELECT * FROM hr.employees) s`],
    ['w-cte-star', `WITH c AS (SELECT * FROM hr.employees) SELECT * FROM c`],
    ['w-derived-alias-star', `SELECT t.* FROM (SELECT e.* FROM hr.employees e) t`],
    ['w-join-star', `SELECT * FROM hr.employees e1 JOIN hr.employees e2 ON e1.id = e2.id`],
    ['w-using-star', `SELECT * FROM hr.employees JOIN hr.contacts USING (id)`],
    ['w-union-star', `SELECT * FROM hr.employees UNION ALL SELECT * FROM hr.employees`],
    ['w-exists-star', `SELECT count(*) FROM hr.employees e WHERE EXISTS (SELECT * FROM hr.employees x WHERE x.id = e.id AND x.ssn LIKE '372%')`],
    ['w-secret-join-star', `SELECT * FROM hr.departments d JOIN hr.salaries_secret s ON s.id = d.id`],
    ['w-json-object-all', `SELECT json_object('id', id, 'email', email, 'salary', salary) FROM hr.employees`],
  ]),

  ...group('name-resolution', [
    ['n-lower-int', `SELECT lower(3)`],
    ['n-lower-space', `SELECT lower (3)`],
    ['n-lower-qualified', `SELECT pub.lower(3)`],
    ['n-lower-backquoted', 'SELECT `lower`(3)'],
    ['n-lower-db-backquoted', 'SELECT `pub`.`lower`(3)'],
    ['n-lower-where', `SELECT count(*) FROM pub.orders WHERE lower(3) LIKE 'TOKEN-7%'`, `SELECT count(*) FROM pub.orders WHERE lower(3) LIKE 'TOKEN-8%'`],
    ['n-employee-code', `SELECT employee_code(3)`],
    ['n-employee-code-qualified', `SELECT pub.employee_code(3)`],
    ['n-employee-code-filter', `SELECT pub.employee_code(3) LIKE '372%'`, `SELECT pub.employee_code(3) LIKE '373%'`],
    ['n-cte-other-case', `WITH Employees AS (SELECT 1 AS id) SELECT ssn FROM employees`],
  ]),

  ...group('definitions', [
    ['d-info-schema-views', `SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_NAME = 'v_vip'`],
    ['d-info-schema-routines', `SELECT ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_NAME = 'employee_code'`],
    ['d-column-comment', `SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE COLUMN_NAME = 'ssn'`],
    ['d-table-comment', `SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_NAME = 'salaries_secret'`],
    ['d-column-default', `SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_NAME = 'salaries_secret'`],
    ['d-mysql-column-stats', `SELECT min_value, max_value FROM mysql.column_stats`],
    ['d-mysql-proc', `SELECT body FROM mysql.proc`],
    ['d-innodb-stats', `SELECT * FROM mysql.innodb_index_stats`],
    ['d-show-create-view', `SHOW CREATE VIEW pub.v_vip`],
    ['d-explain-view', `EXPLAIN SELECT id FROM pub.v_vip`],
    ['d-explain-filter', `EXPLAIN SELECT id FROM hr.employees WHERE ssn = '372-81-5096'`],
    // A plan names the indexes on protected columns and carries estimates from their values: none for a table with rules.
    ['d-explain-hash', `EXPLAIN SELECT phone FROM hr.contacts WHERE id = 3`],
    ['d-explain-masked-join', `EXPLAIN SELECT e.email, c.phone FROM hr.employees e JOIN hr.contacts c ON c.employee_id = e.id`],
  ]),

  ...group('views', [
    ['v-tokens', `SELECT * FROM pub.v_tokens`],
    ['v-tokens-column', `SELECT token FROM pub.v_tokens`],
    ['v-tokens-join', `SELECT e.name, t.token FROM hr.employees e JOIN pub.v_tokens t ON t.employee_id = e.id`],
    ['v-tokens-subquery', `SELECT (SELECT max(token) FROM pub.v_tokens)`],
    ['v-tokens-union', `SELECT token FROM pub.v_tokens UNION ALL SELECT 'x'`],
    ['v-tokens-filter', `SELECT count(*) FROM pub.v_tokens WHERE token LIKE 'TOKEN-7%'`, `SELECT count(*) FROM pub.v_tokens WHERE token LIKE 'TOKEN-8%'`],
    ['v-nested', `SELECT * FROM pub.v_nested`],
    ['v-staff', `SELECT * FROM pub.v_staff`],
    ['v-staff-ssn', `SELECT ssn FROM pub.v_staff`],
    ['v-staff-cte', `WITH s AS (SELECT * FROM pub.v_staff) SELECT ssn FROM s`],
    ['v-staff-filter', `SELECT count(*) FROM pub.v_staff WHERE ssn LIKE '372%'`, `SELECT count(*) FROM pub.v_staff WHERE ssn LIKE '373%'`],
    ['v-contacts-masked', `SELECT email, salary FROM pub.v_contacts`],
    ['v-contacts-filter', `SELECT count(*) FROM pub.v_contacts WHERE salary > 987653`, `SELECT count(*) FROM pub.v_contacts WHERE salary > 987655`],
    ['v-phones', `SELECT phone FROM pub.v_phones`],
    ['v-vip-rows', `SELECT count(*) FROM pub.v_vip WHERE id = 3`, `SELECT count(*) FROM pub.v_vip WHERE id = 4`],
    ['v-directory-email', `SELECT email FROM reports.directory`],
    ['v-directory-email-filter', `SELECT count(*) FROM reports.directory WHERE email LIKE 'zed%'`, `SELECT count(*) FROM reports.directory WHERE email LIKE 'zex%'`],
  ]),
];

type B = [id: string, sql: string, params?: Param[]];
const benignGroup = (cls: BenignClass, expect: BenignCase['expect'], rows: B[]): BenignCase[] =>
  rows.map(([id, sql, params]) => ({ id, cls, sql, expect, ...(params === undefined ? {} : { params }) }));

export const benign: readonly BenignCase[] = [
  ...benignGroup('unruled-tables', 'model', [
    ['u-orders-star', `SELECT * FROM pub.orders ORDER BY id`],
    ['u-orders-unqualified-db', `SELECT id, amount FROM pub.orders ORDER BY id`],
    ['u-orders-filter', `SELECT id, amount FROM pub.orders WHERE status = 'paid' AND amount > 50 ORDER BY id`],
    ['u-orders-like', `SELECT id FROM pub.orders WHERE status LIKE 'ref%'`],
    ['u-orders-between-dates', `SELECT id FROM pub.orders WHERE placed BETWEEN '2024-02-01' AND '2024-03-31' ORDER BY placed`],
    ['u-orders-order-desc', `SELECT id, amount FROM pub.orders ORDER BY amount DESC, id LIMIT 3`],
    ['u-orders-offset', `SELECT id FROM pub.orders ORDER BY id LIMIT 3 OFFSET 2`],
    ['u-orders-distinct-status', `SELECT DISTINCT status FROM pub.orders ORDER BY status`],
    ['u-orders-cast', `SELECT CAST(amount AS SIGNED), CAST(placed AS CHAR) FROM pub.orders ORDER BY id`],
    ['u-orders-case', `SELECT id, CASE WHEN amount > 100 THEN 'big' ELSE 'small' END FROM pub.orders ORDER BY id`],
    ['u-orders-null-employee', `SELECT id FROM pub.orders WHERE employee_id IS NULL`],
    ['u-customers-star', `SELECT * FROM pub.customers ORDER BY id`],
    ['u-customers-in', `SELECT name FROM pub.customers WHERE region IN ('north', 'east') ORDER BY name`],
    ['u-customers-regexp', `SELECT name FROM pub.customers WHERE name REGEXP '^[AG]' ORDER BY name`],
    ['u-customers-upper', `SELECT upper(name), length(name) FROM pub.customers ORDER BY id`],
    ['u-departments-star', `SELECT * FROM hr.departments ORDER BY id`],
    ['u-departments-unqualified', `SELECT name FROM departments ORDER BY id`],
    ['u-departments-budget-filter', `SELECT name FROM hr.departments WHERE budget > 200000 ORDER BY name`],
    ['u-departments-json', `SELECT json_object('id', id, 'name', name) FROM hr.departments ORDER BY id`],
    ['u-departments-backquoted', 'SELECT `name` FROM `hr`.`departments` ORDER BY `id`'],
    ['u-orders-param', `SELECT id FROM pub.orders WHERE amount > ? ORDER BY id`, [100]],
    ['u-no-from', `SELECT 1 + 1 AS two, concat('x', 'y') AS xy`],
    ['u-orders-month', `SELECT date_format(placed, '%Y-%m') AS m, count(*) FROM pub.orders GROUP BY 1 ORDER BY 1`],
    ['u-orders-numeric-math', `SELECT id, round(amount * 1.2, 2) FROM pub.orders ORDER BY id`],
  ]),

  ...benignGroup('allowed-columns', 'model', [
    ['ac-names', `SELECT id, name FROM hr.employees ORDER BY id`],
    ['ac-unqualified', `SELECT id, name FROM employees ORDER BY id`],
    ['ac-dept-hired', `SELECT id, dept_id, hired FROM hr.employees ORDER BY id`],
    ['ac-filter-name', `SELECT id FROM hr.employees WHERE name LIKE 'Z%' ORDER BY id`],
    ['ac-filter-hired', `SELECT name FROM hr.employees WHERE hired > '2020-01-01' ORDER BY name`],
    ['ac-order-name-desc', `SELECT name FROM hr.employees ORDER BY name DESC`],
    ['ac-distinct-dept', `SELECT DISTINCT dept_id FROM hr.employees ORDER BY 1`],
    ['ac-alias', `SELECT e.name AS who FROM hr.employees AS e ORDER BY who`],
    ['ac-three-part', `SELECT hr.employees.name FROM hr.employees ORDER BY hr.employees.id`],
    ['ac-table-qualified', `SELECT employees.name FROM hr.employees ORDER BY employees.id`],
    ['ac-backquoted', 'SELECT `e`.`name` FROM `hr`.`employees` AS `e` ORDER BY `e`.`id`'],
    ['ac-param', `SELECT name FROM hr.employees WHERE id = ?`, [3]],
    ['ac-params-around', `SELECT name FROM hr.employees WHERE id > ? AND id < ? ORDER BY id`, [1, 4]],
    ['ac-year', `SELECT name, year(hired) FROM hr.employees ORDER BY id`],
    ['ac-limit', `SELECT name FROM hr.employees ORDER BY id LIMIT 2`],
    ['ac-no-ssn-star-count', `SELECT count(*) FROM hr.employees`],
  ]),

  ...benignGroup('joins', 'model', [
    ['j-emp-dept', `SELECT e.name, d.name FROM hr.employees e JOIN hr.departments d ON d.id = e.dept_id ORDER BY e.id`],
    ['j-left-orders', `SELECT e.id, count(o.id) FROM hr.employees e LEFT JOIN pub.orders o ON o.employee_id = e.id GROUP BY e.id ORDER BY e.id`],
    ['j-three-way', `SELECT o.id, c.name, e.name FROM pub.orders o JOIN pub.customers c ON c.id = o.customer_id LEFT JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j-using', `SELECT id, e.name FROM hr.employees e JOIN hr.contacts c USING (id) ORDER BY id`],
    ['j-self', `SELECT a.name, b.name FROM hr.employees a JOIN hr.employees b ON a.dept_id = b.dept_id AND a.id < b.id ORDER BY a.id, b.id`],
    ['j-cross', `SELECT count(*) FROM hr.employees CROSS JOIN hr.departments`],
    ['j-comma', `SELECT e.name, d.name FROM hr.employees e, hr.departments d WHERE d.id = e.dept_id ORDER BY e.id`],
    ['j-right', `SELECT d.name, e.name FROM hr.employees e RIGHT JOIN hr.departments d ON d.id = e.dept_id ORDER BY d.id, e.id`],
    ['j-contacts-city', `SELECT e.name, c.city FROM hr.employees e JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['j-derived', `SELECT d.name, s.n FROM hr.departments d JOIN (SELECT dept_id, count(*) AS n FROM hr.employees GROUP BY dept_id) s ON s.dept_id = d.id ORDER BY d.id`],
    ['j-straight', `SELECT e.name FROM hr.employees e STRAIGHT_JOIN hr.departments d ON d.id = e.dept_id ORDER BY e.id`],
    ['j-parenthesized-unruled', `SELECT o.id, c.name FROM (pub.orders o JOIN pub.customers c ON c.id = o.customer_id) ORDER BY o.id`],
  ]),

  ...benignGroup('aggregates', 'model', [
    ['a-count-per-dept', `SELECT dept_id, count(*) FROM hr.employees GROUP BY dept_id ORDER BY dept_id`],
    ['a-orders-sum', `SELECT status, sum(amount), avg(amount) FROM pub.orders GROUP BY status ORDER BY status`],
    ['a-having', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING count(*) > 1 ORDER BY 1`],
    ['a-min-max-hired', `SELECT min(hired), max(hired) FROM hr.employees`],
    ['a-group-concat-names', `SELECT group_concat(name ORDER BY id SEPARATOR ', ') FROM hr.employees`],
    ['a-count-distinct-dept', `SELECT count(DISTINCT dept_id) FROM hr.employees`],
    ['a-json-arrayagg-ids', `SELECT dept_id, json_arrayagg(id) FROM (SELECT dept_id, id FROM hr.employees ORDER BY id) s GROUP BY dept_id ORDER BY 1`],
    ['a-stddev', `SELECT round(stddev_pop(amount), 2) FROM pub.orders`],
    ['a-count-nonnull', `SELECT count(employee_id), count(*) FROM pub.orders`],
    ['a-rollup', `SELECT status, count(*) FROM pub.orders GROUP BY status WITH ROLLUP`],
    ['a-sum-if', `SELECT sum(IF(status = 'paid', amount, 0)) FROM pub.orders`],
    ['a-orders-per-employee-name', `SELECT e.name, count(*) FROM pub.orders o JOIN hr.employees e ON e.id = o.employee_id GROUP BY e.name ORDER BY e.name`],
  ]),

  ...benignGroup('windows', 'model', [
    ['w-row-number-hired', `SELECT id, row_number() OVER (ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-rank-per-dept', `SELECT id, rank() OVER (PARTITION BY dept_id ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-running-sum', `SELECT id, sum(amount) OVER (ORDER BY id) FROM pub.orders ORDER BY id`],
    ['w-lag-lead', `SELECT id, lag(amount) OVER w, lead(amount) OVER w FROM pub.orders WINDOW w AS (ORDER BY id) ORDER BY id`],
    ['w-first-value-name', `SELECT dept_id, first_value(name) OVER (PARTITION BY dept_id ORDER BY id) FROM hr.employees ORDER BY id`],
    ['w-count-per-dept', `SELECT id, count(*) OVER (PARTITION BY dept_id) FROM hr.employees ORDER BY id`],
    ['w-ntile', `SELECT id, ntile(2) OVER (ORDER BY amount, id) FROM pub.orders ORDER BY id`],
    ['w-dense-rank-status', `SELECT id, dense_rank() OVER (ORDER BY status) FROM pub.orders ORDER BY id`],
    ['w-percent-rank-hired', `SELECT id, percent_rank() OVER (ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-top-per-employee', `SELECT employee_id, id FROM (SELECT employee_id, id, row_number() OVER (PARTITION BY employee_id ORDER BY amount DESC) AS r FROM pub.orders) s WHERE r = 1 ORDER BY employee_id`],
    ['w-moving-sum', `SELECT id, sum(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM pub.orders ORDER BY id`],
  ]),

  ...benignGroup('set-operations', 'model', [
    ['s-union-names', `SELECT name FROM hr.employees UNION SELECT name FROM pub.customers ORDER BY 1`],
    ['s-union-all-ids', `SELECT id FROM hr.employees UNION ALL SELECT id FROM hr.departments ORDER BY 1`],
    ['s-intersect-ids', `SELECT id FROM hr.employees INTERSECT SELECT employee_id FROM pub.orders ORDER BY 1`],
    ['s-except-ids', `SELECT id FROM hr.employees EXCEPT SELECT employee_id FROM pub.orders ORDER BY 1`],
    ['s-union-dept-names', `SELECT name, 'dept' AS kind FROM hr.departments UNION ALL SELECT name, 'emp' FROM hr.employees ORDER BY 2, 1`],
    ['s-union-in-subquery', `SELECT count(*) FROM (SELECT name FROM hr.employees UNION SELECT name FROM hr.departments) s`],
    ['s-union-in-cte', `WITH people AS (SELECT name FROM hr.employees UNION ALL SELECT name FROM pub.customers) SELECT count(*) FROM people`],
    ['s-union-hired', `SELECT hired FROM hr.employees UNION SELECT placed FROM pub.orders ORDER BY 1`],
    ['s-union-derived-join', `SELECT s.name, d.name FROM (SELECT id, name, dept_id FROM hr.employees UNION ALL SELECT 99, 'Nobody', 1) s JOIN hr.departments d ON d.id = s.dept_id ORDER BY s.id`],
  ]),

  ...benignGroup('ctes-subqueries', 'model', [
    ['c-cte-names', `WITH x AS (SELECT id, name FROM hr.employees) SELECT name FROM x ORDER BY id`],
    ['c-cte-colnames', `WITH x(i, n) AS (SELECT id, name FROM hr.employees) SELECT n FROM x ORDER BY i`],
    ['c-cte-chain', `WITH a AS (SELECT id, dept_id FROM hr.employees), b AS (SELECT dept_id, count(*) AS n FROM a GROUP BY dept_id) SELECT * FROM b ORDER BY dept_id`],
    ['c-recursive', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r`],
    ['c-cte-shadowing-table', `WITH employees AS (SELECT id, name FROM hr.employees) SELECT name FROM employees ORDER BY id`],
    ['c-scalar-subquery', `SELECT name, (SELECT count(*) FROM pub.orders o WHERE o.employee_id = e.id) FROM hr.employees e ORDER BY id`],
    ['c-derived', `SELECT s.n FROM (SELECT name AS n FROM hr.employees) s ORDER BY 1`],
    ['c-in-subquery', `SELECT name FROM hr.departments WHERE id IN (SELECT dept_id FROM hr.employees WHERE hired < '2020-01-01') ORDER BY 1`],
    ['c-any-subquery', `SELECT id FROM pub.orders WHERE employee_id = ANY (SELECT id FROM hr.employees WHERE dept_id = 1) ORDER BY id`],
    ['c-exists-correlated', `SELECT d.name FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.name LIKE 'Z%') ORDER BY 1`],
    ['c-compare-subquery', `SELECT id FROM pub.orders WHERE amount > (SELECT avg(amount) FROM pub.orders) ORDER BY id`],
    ['c-not-in', `SELECT name FROM hr.employees WHERE id NOT IN (SELECT employee_id FROM pub.orders WHERE employee_id IS NOT NULL) ORDER BY id`],
  ]),

  ...benignGroup('masked-selected', 'model', [
    ['ms-email', `SELECT id, email FROM hr.employees ORDER BY id`],
    ['ms-salary', `SELECT id, salary FROM hr.employees ORDER BY id`],
    ['ms-star', `SELECT * FROM hr.employees ORDER BY id`],
    ['ms-alias-star', `SELECT e.* FROM hr.employees e ORDER BY e.id`],
    ['ms-alias', `SELECT email AS contact FROM hr.employees ORDER BY id`],
    ['ms-derived', `SELECT m FROM (SELECT id, email AS m FROM hr.employees) s ORDER BY id`],
    ['ms-cte', `WITH c AS (SELECT id, email, salary FROM hr.employees) SELECT email, salary FROM c ORDER BY id`],
    ['ms-scalar-subquery', `SELECT (SELECT e.email) FROM hr.employees e ORDER BY e.id`],
    ['ms-join', `SELECT o.id, e.email FROM pub.orders o JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['ms-union-email', `SELECT email FROM hr.employees UNION ALL SELECT 'x@y.example' ORDER BY 1`],
    ['ms-group-concat', `SELECT group_concat(email ORDER BY id) FROM hr.employees`],
    ['ms-upper', `SELECT upper(email) FROM hr.employees ORDER BY id`],
    ['ms-coalesce', `SELECT coalesce(salary, 0), coalesce(email, '-') FROM hr.employees ORDER BY id`],
    ['ms-three-part', `SELECT hr.employees.email FROM hr.employees ORDER BY hr.employees.id`],
    ['ms-json-object', `SELECT json_object('id', id, 'email', email) FROM hr.employees ORDER BY id`],
  ]),

  ...benignGroup('masked-used', 'model', [
    ['mu-filter-like', `SELECT id FROM hr.employees WHERE email LIKE 'z%' ORDER BY id`],
    ['mu-filter-eq-masked', `SELECT id FROM hr.employees WHERE email = 'z***@corp.example' ORDER BY id`],
    ['mu-filter-domain', `SELECT count(*) FROM hr.employees WHERE email LIKE '%@corp.example'`],
    ['mu-filter-null-salary', `SELECT count(*) FROM hr.employees WHERE salary IS NULL`],
    ['mu-filter-salary-gt', `SELECT count(*) FROM hr.employees WHERE salary > 0`],
    ['mu-group-by-email', `SELECT email, count(*) FROM hr.employees GROUP BY email ORDER BY email`],
    ['mu-group-by-position', `SELECT email, count(*) FROM hr.employees GROUP BY 1 ORDER BY 1`],
    ['mu-distinct-email', `SELECT DISTINCT email FROM hr.employees ORDER BY 1`],
    ['mu-count-distinct', `SELECT count(DISTINCT email) FROM hr.employees`],
    ['mu-order-by-email', `SELECT id FROM hr.employees ORDER BY email, id`],
    ['mu-order-by-salary', `SELECT id FROM hr.employees ORDER BY salary, id`],
    ['mu-window-partition', `SELECT id, count(*) OVER (PARTITION BY email) FROM hr.employees ORDER BY id`],
    ['mu-self-join-email', `SELECT a.id, b.id FROM hr.employees a JOIN hr.employees b ON a.email = b.email AND a.id < b.id ORDER BY 1, 2`],
    ['mu-length', `SELECT id, length(email) FROM hr.employees ORDER BY id`],
    ['mu-split-domain', `SELECT substring_index(email, '@', -1), count(*) FROM hr.employees GROUP BY 1 ORDER BY 1`],
    ['mu-max-min', `SELECT max(email), min(email), max(salary) FROM hr.employees`],
    ['mu-case', `SELECT id, CASE WHEN email IS NULL THEN 'none' ELSE 'some' END FROM hr.employees ORDER BY id`],
    ['mu-sum-salary', `SELECT sum(salary), avg(salary), count(salary) FROM hr.employees`],
    ['mu-having-email', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING count(email) > 1 ORDER BY 1`],
    ['mu-in-subquery', `SELECT count(*) FROM hr.employees WHERE email IN (SELECT email FROM hr.employees WHERE id = 3)`],
    ['mu-union-dedupe', `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 4`],
    ['mu-intersect', `SELECT email FROM hr.employees INTERSECT SELECT 'z***@corp.example'`],
    ['mu-md5', `SELECT md5(email) FROM hr.employees WHERE id = 3`],
    ['mu-param', `SELECT id FROM hr.employees WHERE email = ? ORDER BY id`, ['z***@corp.example']],
    ['mu-cast-signed', `SELECT id, CAST(email AS SIGNED) FROM hr.employees ORDER BY id`],
    ['mu-derived-filter', `SELECT n FROM (SELECT id AS n, email AS m FROM hr.employees) s WHERE m LIKE 'z%' ORDER BY n`],
  ]),

  ...benignGroup('hash-masked', 'model', [
    ['h-count-distinct-phone', `SELECT count(DISTINCT phone) FROM hr.contacts`],
    ['h-group-by-phone-counts', `SELECT count(*) AS n FROM hr.contacts GROUP BY phone ORDER BY n`],
    ['h-self-join-phone', `SELECT a.id, b.id FROM hr.contacts a JOIN hr.contacts b ON a.phone = b.phone AND a.id < b.id ORDER BY 1, 2`],
    ['h-not-null', `SELECT count(*) FROM hr.contacts WHERE phone IS NOT NULL`],
    ['h-city', `SELECT city, count(*) FROM hr.contacts GROUP BY city ORDER BY city`],
  ]),
  {
    id: 'h-prefix',
    cls: 'hash-masked',
    sql: `SELECT count(*) FROM hr.contacts WHERE phone LIKE 'hmac:%'`,
    expect: 'model',
    // Every non-null phone is its hash.
    modelSql: `SELECT count(*) FROM hr.contacts WHERE phone IS NOT NULL`,
  },
  ...benignGroup('hash-masked', 'succeeds', [
    ['h-select-phone', `SELECT id, phone FROM hr.contacts ORDER BY id`],
    ['h-star', `SELECT * FROM hr.contacts ORDER BY id`],
    ['h-derived', `SELECT p FROM (SELECT phone AS p FROM hr.contacts) s`],
    ['h-distinct', `SELECT DISTINCT phone FROM hr.contacts`],
    ['h-join-employee', `SELECT e.name, c.phone FROM hr.employees e JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['h-param-after', `SELECT phone FROM hr.contacts WHERE id = ?`, [3]],
    ['h-params-both-sides', `SELECT ? AS a, phone FROM hr.contacts WHERE id = ?`, ['x', 3]],
  ]),

  ...benignGroup('allowed-columns', 'model', [
    ['ac2-unicode-before-table', `SELECT '😀é' AS s, name FROM hr.employees ORDER BY id`],
    ['ac2-string-with-question-mark', `SELECT 'why?' AS q, name FROM hr.employees WHERE id = ? ORDER BY id`, [2]],
    ['ac2-backslash-string', `SELECT 'it\\'s', name FROM hr.employees WHERE id = 1`],
    ['ac2-double-quoted-string', `SELECT "a?b", name FROM hr.employees WHERE id = 1`],
    ['ac2-alias-no-as', `SELECT e.name FROM hr.employees e WHERE e.id < 3 ORDER BY e.id`],
    ['ac2-spaced-name', `SELECT name FROM hr . employees ORDER BY id`],
    ['ac2-alias-named-like-table', `SELECT employees.name FROM hr.employees AS employees ORDER BY employees.id`],
    ['ac2-where-in-list', `SELECT name FROM hr.employees WHERE dept_id IN (1, 3) ORDER BY id`],
    ['ac2-between-hired', `SELECT name FROM hr.employees WHERE hired BETWEEN '2019-01-01' AND '2021-12-31' ORDER BY hired`],
    ['ac2-order-two-keys', `SELECT dept_id, name FROM hr.employees ORDER BY dept_id DESC, name`],
    ['ac2-limit-offset', `SELECT name FROM hr.employees ORDER BY id LIMIT 2 OFFSET 1`],
    ['ac2-limit-comma', `SELECT name FROM hr.employees ORDER BY id LIMIT 1, 2`],
    ['ac2-datediff', `SELECT name, datediff('2024-01-01', hired) FROM hr.employees ORDER BY id`],
    ['ac2-date-format', `SELECT date_format(hired, '%Y/%m') FROM hr.employees ORDER BY id`],
    ['ac2-concat-name', `SELECT concat(name, ' (', dept_id, ')') FROM hr.employees ORDER BY id`],
    ['ac2-is-not-null', `SELECT count(*) FROM hr.employees WHERE dept_id IS NOT NULL`],
  ]),

  ...benignGroup('joins', 'model', [
    ['j2-emp-contacts-left', `SELECT e.id, c.city FROM hr.employees e LEFT JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['j2-orders-masked-email', `SELECT o.id, e.email FROM pub.orders o LEFT JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j2-join-on-masked-equal', `SELECT count(*) FROM hr.employees a JOIN hr.employees b ON a.email = b.email`],
    ['j2-join-derived-masked', `SELECT d.name, m.email FROM hr.departments d JOIN (SELECT dept_id, email FROM hr.employees) m ON m.dept_id = d.id ORDER BY d.id, m.email`],
    ['j2-customers-orders', `SELECT c.name, sum(o.amount) FROM pub.customers c JOIN pub.orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name`],
    ['j2-three-tables-hr', `SELECT e.name, d.name, c.city FROM hr.employees e JOIN hr.departments d ON d.id = e.dept_id JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['j2-using-two', `SELECT id, name FROM hr.employees JOIN hr.departments USING (id, name) ORDER BY id`],
    ['j2-semi-join-exists', `SELECT name FROM hr.employees e WHERE EXISTS (SELECT 1 FROM pub.orders o WHERE o.employee_id = e.id AND o.amount > 100) ORDER BY id`],
    ['j2-anti-join', `SELECT e.name FROM hr.employees e LEFT JOIN pub.orders o ON o.employee_id = e.id WHERE o.id IS NULL ORDER BY e.id`],
    ['j2-three-part-join', `SELECT hr.employees.name, hr.departments.name FROM hr.employees JOIN hr.departments ON hr.departments.id = hr.employees.dept_id ORDER BY hr.employees.id`],
  ]),

  ...benignGroup('aggregates', 'model', [
    ['a2-masked-count-per-email', `SELECT email, count(*) AS n FROM hr.employees GROUP BY email ORDER BY n, email`],
    ['a2-salary-avg-per-dept', `SELECT dept_id, avg(salary) FROM hr.employees GROUP BY dept_id ORDER BY dept_id`],
    ['a2-group-concat-email-distinct', `SELECT group_concat(DISTINCT email ORDER BY email) FROM hr.employees`],
    ['a2-count-if-email', `SELECT sum(email LIKE 'z%') FROM hr.employees`],
    ['a2-max-hired-per-dept', `SELECT dept_id, max(hired) FROM hr.employees GROUP BY dept_id ORDER BY dept_id`],
    ['a2-having-masked', `SELECT email FROM hr.employees GROUP BY email HAVING count(*) > 1`],
    ['a2-bit-or', `SELECT bit_or(dept_id) FROM hr.employees`],
    ['a2-variance', `SELECT round(var_pop(budget), 0) FROM hr.departments`],
    ['a2-nested-aggregate', `SELECT max(n) FROM (SELECT dept_id, count(*) AS n FROM hr.employees GROUP BY dept_id) s`],
    ['a2-json-objectagg', `SELECT json_objectagg(name, dept_id) FROM (SELECT name, dept_id FROM hr.employees ORDER BY id) s`],
  ]),

  ...benignGroup('windows', 'model', [
    ['w2-rank-email', `SELECT id, rank() OVER (ORDER BY email, id) FROM hr.employees ORDER BY id`],
    ['w2-lag-email', `SELECT id, lag(email) OVER (ORDER BY id) FROM hr.employees ORDER BY id`],
    ['w2-count-salary-window', `SELECT id, count(salary) OVER () FROM hr.employees ORDER BY id`],
    ['w2-row-number-derived', `SELECT id, r FROM (SELECT id, row_number() OVER (PARTITION BY email ORDER BY id) AS r FROM hr.employees) s ORDER BY id`],
    ['w2-cume-dist', `SELECT id, cume_dist() OVER (ORDER BY amount) FROM pub.orders ORDER BY id`],
    ['w2-last-value', `SELECT id, last_value(name) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM hr.employees ORDER BY id`],
    ['w2-nth-value', `SELECT DISTINCT nth_value(name, 2) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM hr.employees`],
    ['w2-sum-partition', `SELECT id, sum(amount) OVER (PARTITION BY status) FROM pub.orders ORDER BY id`],
  ]),

  ...benignGroup('set-operations', 'model', [
    ['s2-union-masked-and-plain', `SELECT email FROM hr.employees UNION SELECT name FROM hr.departments ORDER BY 1`],
    ['s2-union-all-salary', `SELECT salary FROM hr.employees UNION ALL SELECT budget FROM hr.departments ORDER BY 1`],
    ['s2-except-masked', `SELECT email FROM hr.employees EXCEPT SELECT 'a***@corp.example' ORDER BY 1`],
    ['s2-intersect-masked', `SELECT email FROM hr.employees INTERSECT SELECT email FROM hr.employees WHERE id > 2 ORDER BY 1`],
    ['s2-union-three', `SELECT id FROM hr.employees UNION SELECT id FROM hr.departments UNION SELECT id FROM pub.customers ORDER BY 1`],
    ['s2-union-count', `SELECT count(*) FROM (SELECT email FROM hr.employees UNION ALL SELECT email FROM hr.employees) s`],
    ['s2-union-order-limit', `SELECT name FROM hr.employees UNION ALL SELECT name FROM pub.customers ORDER BY 1 LIMIT 3`],
  ]),

  ...benignGroup('ctes-subqueries', 'model', [
    ['c2-cte-masked-group', `WITH m AS (SELECT email FROM hr.employees) SELECT email, count(*) FROM m GROUP BY email ORDER BY email`],
    ['c2-cte-used-twice', `WITH x AS (SELECT id, dept_id FROM hr.employees) SELECT a.id, b.id FROM x a JOIN x b ON a.dept_id = b.dept_id AND a.id < b.id ORDER BY 1, 2`],
    ['c2-recursive-over-table', `WITH RECURSIVE r(n, i) AS (SELECT 1, min(id) FROM hr.employees UNION ALL SELECT n + 1, i + 1 FROM r WHERE n < 3) SELECT * FROM r ORDER BY n`],
    ['c2-nested-cte', `SELECT * FROM (WITH c AS (SELECT name FROM hr.employees WHERE id = 1) SELECT name FROM c) s`],
    ['c2-scalar-masked', `SELECT id, (SELECT max(email) FROM hr.employees x WHERE x.dept_id = e.dept_id) FROM hr.employees e ORDER BY id`],
    ['c2-in-masked', `SELECT id FROM hr.employees WHERE email IN (SELECT email FROM hr.employees WHERE dept_id = 3) ORDER BY id`],
    ['c2-derived-three-levels', `SELECT n FROM (SELECT n FROM (SELECT name AS n, id FROM hr.employees) a WHERE id < 4) b ORDER BY n`],
    ['c2-exists-masked', `SELECT count(*) FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.email LIKE 'z%')`],
    ['c2-all-subquery', `SELECT name FROM hr.departments WHERE budget >= ALL (SELECT budget FROM hr.departments)`],
  ]),

  {
    id: 'c2-cte-shadow-inner-only',
    cls: 'ctes-subqueries',
    sql: `SELECT (WITH employees AS (SELECT 7 AS id) SELECT id FROM employees), count(*), max(email) FROM employees`,
    expect: 'model',
    // The CTE is seen inside the scalar subquery only; the outer employees is the table.
    modelSql: `SELECT (WITH employees AS (SELECT 7 AS id) SELECT id FROM employees), count(*), max(email) FROM model.employees`,
  },

  ...benignGroup('masked-used', 'model', [
    ['mu2-locate', `SELECT id, locate('@', email) FROM hr.employees ORDER BY id`],
    ['mu2-left', `SELECT id, left(email, 2) FROM hr.employees ORDER BY id`],
    ['mu2-replace', `SELECT id, replace(email, '***', '') FROM hr.employees ORDER BY id`],
    ['mu2-null-safe-eq', `SELECT count(*) FROM hr.employees WHERE salary <=> NULL`],
    ['mu2-ifnull', `SELECT id, ifnull(email, 'none') FROM hr.employees ORDER BY id`],
    ['mu2-regexp', `SELECT count(*) FROM hr.employees WHERE email REGEXP '^z[*]'`],
    ['mu2-cast-char', `SELECT id, CAST(salary AS CHAR) FROM hr.employees ORDER BY id`],
    ['mu2-params-both-sides', `SELECT ? AS a, id FROM hr.employees WHERE email = ? ORDER BY id`, ['x', 'z***@corp.example']],
    ['mu2-order-desc-email', `SELECT id FROM hr.employees ORDER BY email DESC, id`],
    ['mu2-crc32', `SELECT crc32(email) FROM hr.employees WHERE id = 4`],
  ]),
  ...benignGroup('hash-masked', 'succeeds', [
    ['h2-hash-in-where', `SELECT id FROM hr.contacts WHERE phone = (SELECT phone FROM hr.contacts WHERE id = 3) ORDER BY id`],
    ['h2-hash-group-concat', `SELECT group_concat(phone ORDER BY id) FROM hr.contacts`],
    ['h2-hash-twice', `SELECT a.phone, b.phone FROM hr.contacts a JOIN hr.contacts b ON b.id = a.id ORDER BY a.id`],
    ['h2-hash-in-cte', `WITH p AS (SELECT id, phone FROM hr.contacts) SELECT phone FROM p ORDER BY id`],
    ['h2-hash-union', `SELECT phone FROM hr.contacts UNION SELECT 'x'`],
    ['h2-explain-unruled', `EXPLAIN SELECT name FROM hr.departments WHERE id = ?`, [1]],
    ['h2-explain-unruled-join', `EXPLAIN SELECT a.name FROM hr.departments a JOIN hr.departments b ON b.id = a.id`],
    ['h2-hash-param-before-and-after', `SELECT id FROM hr.contacts WHERE city = ? AND phone IS NOT NULL AND id IN (SELECT id FROM hr.contacts WHERE id > ?) ORDER BY id`, ['Oslo', 0]],
  ]),

  ...benignGroup('named-objects', 'model', [
    ['n-headcount-view', `SELECT secrets FROM reports.headcount`],
    ['n-directory-names', `SELECT name FROM reports.directory WHERE id < 3 ORDER BY id`],
    ['n-builtin-lower', `SELECT lower(name) FROM hr.departments ORDER BY id`],
    ['n-builtin-abs', `SELECT abs(-5), abs(-2.5)`],
    ['n-builtin-concat', `SELECT concat('a', 'b'), concat(name, '!') FROM hr.departments ORDER BY id`],
  ]),
];

/**
 * Attacks that still leak (the runner marks them `it.fails`); remove an id the day it holds.
 * None today: a view a rule names over a masked column (reports.directory) is refused on
 * MySQL (see KNOWN_FALSE_POSITIVES), not read unmasked.
 */
export const KNOWN_LEAKS: ReadonlySet<string> = new Set<string>([]);

/**
 * Benign cases still refused or answered wrongly (marked `it.fails`); same rule.
 * node-sql-parser does not parse `<=>` (SQL_PARSE_ERROR, the guard's, before any column rule).
 * A view a rule names that reads a masked column (directory) is refused on MySQL, where it
 * cannot be read as its definition under the rules: refused rather than read unmasked.
 */
export const KNOWN_FALSE_POSITIVES: ReadonlySet<string> = new Set<string>(['mu2-null-safe-eq', 'n-directory-names']);
