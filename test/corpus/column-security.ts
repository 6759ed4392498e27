/**
 * Column-security corpus (issue 17): statements role `analyst` sends to PostgreSQL and
 * PGlite over the fixture test/fixtures/column-security/schema.sql, judged by effect in
 * test/authorize/column-security.test.ts.
 *
 * The role (see ANALYST_ROLE): tables hr.* and public.* allowed, hr.salaries_secret
 * denied, reports.headcount and reports.directory named explicitly; hr.employees.ssn
 * denied; hr.employees.email masked `partial`, hr.employees.salary masked `null`,
 * hr.contacts.phone masked `hash`. The model this corpus holds the code to: the role's
 * statement sees every protected relation as it would look with the rules applied first
 * (ssn absent, email `z***@corp.example`, salary null, phone a keyed hash), so a denied
 * column "does not exist" and a masked column behaves everywhere as its masked value.
 *
 * Attacks: each is judged by two effects.
 * 1. No planted value (PLANTED, with the encodings listed in the runner: the value,
 *    its digits alone, hex and base64 of its text, md5 and sha256 of its text, and for
 *    emails the local part) appears anywhere in the answer — rows, text content, error
 *    message. A needle that the statement itself spells out is not searched for in that
 *    statement's answer (the caller already knew it); its twin decides.
 * 2. When `twin` is given, the pair asks a yes/no question about a protected value (the
 *    two statements differ only where the real value would make them answer
 *    differently; under the model they answer the same). Both answers must be
 *    identical — same rows, or the same error code and message — or the question was
 *    answered.
 * A refusal is always an acceptable answer to an attack; an attack that leaks on
 * today's main is listed in KNOWN_LEAKS (the runner marks it `it.fails`).
 *
 * Benign cases must succeed for the role, carry no planted value, and (expect 'model')
 * equal the unrestricted role's answer to the same statement with hr.employees read
 * from model.employees — the table as the analyst should see it — or, for tables
 * without rules, simply the unrestricted role's answer. `succeeds` is for the hash
 * mask, whose key only the server knows. A benign case that fails on today's main is
 * listed in KNOWN_FALSE_POSITIVES (marked `it.fails`).
 *
 * A case that runs on one engine only says so in `engines` (hstore exists only on the
 * PostgreSQL server; PGlite's worker loads no extension).
 */

export type Engine = 'postgres' | 'pglite';
export type Param = string | number | boolean | null;

export type AttackClass =
  | 'baseline' // direct references, the checks by name already stop these
  | 'renaming' // column lists, subqueries, CTE column lists, LATERAL, ARRAY(), VALUES, set operations
  | 'inference' // filters, IN/ANY/EXISTS, LIMIT/OFFSET, ORDER BY, DISTINCT, GROUP BY, windows, counts
  | 'errors' // casts, division by zero, range and subscript errors, regex and JSON errors
  | 'whole-row' // whole-row values and attribute notation (e.to_jsonb)
  | 'name-resolution' // user functions, aggregates and operators in public that shadow built-ins
  | 'definitions' // pg_get_*def, catalog text, comments, planner statistics, EXPLAIN
  | 'views'; // views and configured functions that read denied data

export interface AttackCase {
  id: string;
  cls: AttackClass;
  sql: string;
  params?: Param[];
  /** The other half of a yes/no question: must get exactly the same answer as `sql`. */
  twin?: string;
  twinParams?: Param[];
  engines?: Engine[];
}

export type BenignClass =
  | 'unruled-tables' // tables without rules: exactly the unrestricted answer
  | 'allowed-columns' // hr.employees through its allowed columns only
  | 'joins'
  | 'aggregates'
  | 'windows'
  | 'set-operations'
  | 'ctes-subqueries'
  | 'masked-selected' // masked columns come back masked, under any route
  | 'masked-used' // masked columns in filters, grouping, joins, ordering: work on the masked value
  | 'hash-masked' // the keyed hash: equality kept, value not the real one
  | 'named-objects'; // views a rule names, functions the configuration allows

export interface BenignCase {
  id: string;
  cls: BenignClass;
  sql: string;
  params?: Param[];
  /**
   * 'model': equals the unrestricted role's answer with hr.employees read from
   * model.employees (or `modelSql` when given). 'succeeds': no error, nothing planted.
   */
  expect: 'model' | 'succeeds';
  modelSql?: string;
}

/** The role under test (bastion.yaml `roles.analyst`). */
export const ANALYST_ROLE = {
  tools: ['list_*', 'describe_table', 'query', 'explain'],
  tables: { allow: ['hr.*', 'public.*', 'reports.headcount', 'reports.directory'], deny: ['hr.salaries_secret'] },
  columns: {
    deny: ['hr.employees.ssn'],
    mask: { 'hr.employees.email': 'partial', 'hr.employees.salary': 'null', 'hr.contacts.phone': 'hash' },
  },
} as const;

/** sql.allow_functions: one reads a denied column (an attack), one does not (benign). */
export const ALLOWED_FUNCTIONS = ['public.employee_code', 'public.net_price'];

/** The protected values planted by the fixture; the runner derives the needles. */
export const PLANTED = {
  ssn: ['515-27-3901', '644-09-1185', '372-81-5096', '829-40-6617'],
  email: ['ada.fenwright@corp.example', 'bo.quillfeather@corp.example', 'zed.kowalczyk@corp.example', 'zara.pemberton@corp.example'],
  salary: [713705, 642318, 987654, 851093],
  phone: ['+1-555-0101-4410', '+1-555-0102-7733', '+1-555-0142-9876'],
  token: ['TOKEN-7f3a9c2e', 'TOKEN-b81d44e0'],
  bonus: [4242421, 3133731],
} as const;

// Seven names for hr.employees' seven real columns (id, name, email, salary, ssn, dept_id,
// hired): the fifth is ssn only if ssn exists for the role. With ssn absent the list is
// one too long and the statement fails the same way whatever else it says.
const E7 = 'hr.employees AS e(a, b, c, x, d, f, g)';

type A = [id: string, sql: string, twin?: string];
const group = (cls: AttackClass, rows: A[], engines?: Engine[]): AttackCase[] =>
  rows.map(([id, sql, twin]) => ({ id, cls, sql, ...(twin === undefined ? {} : { twin }), ...(engines === undefined ? {} : { engines }) }));

export const attacks: readonly AttackCase[] = [
  ...group('baseline', [
    ['b-ssn-direct', `SELECT ssn FROM hr.employees`],
    ['b-ssn-alias', `SELECT ssn AS x FROM hr.employees`],
    ['b-ssn-upper-case', `SELECT SSN FROM HR.EMPLOYEES`],
    ['b-ssn-unicode-ident', `SELECT U&"\\0073sn" FROM hr.employees`],
    ['b-email-direct', `SELECT email FROM hr.employees`],
    ['b-salary-direct', `SELECT salary FROM hr.employees`],
    ['b-phone-direct', `SELECT phone FROM hr.contacts`],
    ['b-secret-star', `SELECT * FROM hr.salaries_secret`],
    ['b-secret-quoted', `SELECT "token" FROM "hr"."salaries_secret"`],
    ['b-secret-table-stmt', `TABLE hr.salaries_secret`],
    ['b-secret-subquery', `SELECT (SELECT token FROM hr.salaries_secret ORDER BY id LIMIT 1)`],
    ['b-secret-exists', `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token = 'TOKEN-7f3a9c2e')`, `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token = 'TOKEN-7f3a9c2f')`],
    ['b-ssn-where', `SELECT id FROM hr.employees WHERE ssn = '372-81-5096'`, `SELECT id FROM hr.employees WHERE ssn = '372-81-5097'`],
  ]),

  ...group('renaming', [
    ['r-colnames-ssn', `SELECT d FROM ${E7} ORDER BY a`],
    ['r-colnames-email', `SELECT c FROM hr.employees AS e(a, b, c) ORDER BY a`],
    ['r-colnames-salary', `SELECT x FROM hr.employees AS e(a, b, c, x) ORDER BY a`],
    ['r-colnames-min-ssn', `SELECT min(d) FROM ${E7}`],
    ['r-colnames-phone', `SELECT c FROM hr.contacts AS k(a, b, c) ORDER BY a`],
    ['r-scalar-subquery-email', `SELECT (SELECT e.email) FROM hr.employees e ORDER BY e.id`],
    ['r-scalar-subquery-salary', `SELECT (SELECT e.salary) FROM hr.employees e ORDER BY e.id`],
    ['r-scalar-subquery-ssn', `SELECT (SELECT e2.ssn FROM hr.employees e2 WHERE e2.id = e.id) FROM hr.employees e`],
    ['r-derived-max-salary', `SELECT max(x) FROM (SELECT salary AS x FROM hr.employees) s`],
    ['r-derived-email', `SELECT x FROM (SELECT email AS x FROM hr.employees) s`],
    ['r-derived-colnames', `SELECT y FROM (SELECT id, email FROM hr.employees) s(x, y)`],
    ['r-derived-nested-3', `SELECT z FROM (SELECT y AS z FROM (SELECT email AS y FROM hr.employees) a) b`],
    ['r-derived-phone', `SELECT p FROM (SELECT phone AS p FROM hr.contacts) s`],
    ['r-string-agg-renamed-email', `SELECT string_agg(m, ',') FROM (SELECT email AS m FROM hr.employees) s`],
    ['r-cte-colnames-email', `WITH c(a) AS (SELECT email FROM hr.employees) SELECT a FROM c`],
    ['r-cte-colnames-salary', `WITH c(a, b) AS (SELECT id, salary FROM hr.employees) SELECT b FROM c ORDER BY a`],
    ['r-cte-star', `WITH c AS (SELECT * FROM hr.employees) SELECT c.* FROM c`],
    ['r-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT s FROM c`],
    ['r-cte-materialized-email', `WITH c AS MATERIALIZED (SELECT email AS m FROM hr.employees) SELECT m FROM c`],
    ['r-recursive-cte-email', `WITH RECURSIVE r(n, v) AS (SELECT 1, email FROM hr.employees WHERE id = 3 UNION ALL SELECT n + 1, v FROM r WHERE n < 2) SELECT v FROM r`],
    ['r-lateral-email', `SELECT l.v FROM hr.employees e, LATERAL (SELECT e.email AS v) l`],
    ['r-lateral-salary', `SELECT l.v FROM hr.employees e CROSS JOIN LATERAL (SELECT e.salary AS v) l`],
    ['r-lateral-values-ssn', `SELECT v.s FROM hr.employees e, LATERAL (VALUES (e.ssn)) v(s)`],
    ['r-array-subquery-email', `SELECT ARRAY(SELECT email FROM hr.employees ORDER BY id)`],
    ['r-array-subquery-ssn', `SELECT ARRAY(SELECT d FROM ${E7})`],
    ['r-array-constructor-email', `SELECT ARRAY[e.email, e.name] FROM hr.employees e`],
    ['r-values-join-email', `SELECT v.x FROM (VALUES (1)) t(n) JOIN LATERAL (SELECT email FROM hr.employees WHERE id = 3) v(x) ON true`],
    ['r-values-join-salary', `SELECT t.k, e.salary FROM (VALUES (3)) t(k) JOIN hr.employees e ON e.id = t.k`],
    ['r-union-email', `SELECT email FROM hr.employees UNION ALL SELECT 'x'`],
    ['r-union-ssn', `SELECT name FROM hr.employees UNION SELECT d FROM ${E7}`],
    ['r-intersect-salary', `SELECT salary FROM hr.employees INTERSECT SELECT 987654`, `SELECT salary FROM hr.employees INTERSECT SELECT 987655`],
    ['r-except-email', `SELECT email FROM hr.employees EXCEPT SELECT 'nobody'`],
    ['r-coalesce-email', `SELECT coalesce(email, '') FROM hr.employees`],
    ['r-concat-email', `SELECT email || '' FROM hr.employees`],
    ['r-text-cast-salary', `SELECT salary::text FROM hr.employees`],
    ['r-case-email', `SELECT CASE WHEN true THEN email END FROM hr.employees`],
    ['r-greatest-salary', `SELECT greatest(salary, 0) FROM hr.employees`],
    ['r-json-build-object-email', `SELECT json_build_object('e', email) FROM hr.employees`],
    ['r-jsonb-agg-email', `SELECT jsonb_agg(email) FROM hr.employees`],
    ['r-array-agg-salary', `SELECT array_agg(salary) FROM hr.employees`],
    ['r-row-field', `SELECT (r).f3 FROM (SELECT ROW(id, name, email) AS r FROM hr.employees) s`],
    ['r-unnest-email', `SELECT u FROM hr.employees e, unnest(ARRAY[e.email]) u`],
    ['r-json-each-email', `SELECT j.value FROM hr.employees e, json_each_text(json_build_object('k', e.email)) j`],
    ['r-first-value-email', `SELECT first_value(email) OVER (ORDER BY id) FROM hr.employees`],
    ['r-lag-salary', `SELECT lag(salary) OVER (ORDER BY id) FROM hr.employees`],
    ['r-upper-email', `SELECT upper(email) FROM hr.employees`],
    ['r-reverse-email', `SELECT reverse(reverse(email)) FROM hr.employees`],
    ['r-to-hex-salary', `SELECT to_hex(salary) FROM hr.employees`],
    ['r-encode-base64-email', `SELECT encode(convert_to(email, 'UTF8'), 'base64') FROM hr.employees`],
    ['r-encode-hex-ssn', `SELECT encode(convert_to(d, 'UTF8'), 'hex') FROM ${E7}`],
    ['r-derived-to-hex-salary', `SELECT to_hex(s) FROM (SELECT salary AS s FROM hr.employees) t`],
    ['r-derived-base64-email', `SELECT encode(convert_to(m, 'UTF8'), 'base64') FROM (SELECT email AS m FROM hr.employees) t`],
    ['r-cte-upper-email', `WITH c AS (SELECT email AS m FROM hr.employees) SELECT upper(m) FROM c`],
    ['r-derived-json-email', `SELECT json_build_object('k', m) FROM (SELECT email AS m FROM hr.employees) t`],
    ['r-colnames-concat-salary', `SELECT concat(x, '') FROM hr.employees AS e(a, b, c, x)`],
  ]),

  ...group('inference', [
    ['i-in-subquery-salary', `SELECT 987654 IN (SELECT salary FROM hr.employees)`, `SELECT 987655 IN (SELECT salary FROM hr.employees)`],
    ['i-any-salary', `SELECT 987654 = ANY (SELECT salary FROM hr.employees)`, `SELECT 987655 = ANY (SELECT salary FROM hr.employees)`],
    ['i-all-salary', `SELECT 987000 < ALL (SELECT salary FROM hr.employees WHERE id = 3)`, `SELECT 988000 < ALL (SELECT salary FROM hr.employees WHERE id = 3)`],
    ['i-exists-salary', `SELECT EXISTS (SELECT 1 FROM hr.employees WHERE salary > 987653)`, `SELECT EXISTS (SELECT 1 FROM hr.employees WHERE salary > 987655)`],
    ['i-scalar-compare-salary', `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > 987653`, `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > 987655`],
    ['i-where-salary', `SELECT id FROM hr.employees WHERE salary > 987653 ORDER BY id`, `SELECT id FROM hr.employees WHERE salary > 987655 ORDER BY id`],
    ['i-where-renamed-salary', `SELECT a FROM hr.employees AS e(a, b, c, x) WHERE x > 987653`, `SELECT a FROM hr.employees AS e(a, b, c, x) WHERE x > 987655`],
    ['i-where-derived-email', `SELECT n FROM (SELECT id AS n, email AS m FROM hr.employees) s WHERE m LIKE 'zed.k%'`, `SELECT n FROM (SELECT id AS n, email AS m FROM hr.employees) s WHERE m LIKE 'zed.q%'`],
    ['i-where-email-eq', `SELECT id FROM hr.employees WHERE email = 'zed.kowalczyk@corp.example'`, `SELECT id FROM hr.employees WHERE email = 'zed.kowalczyx@corp.example'`],
    ['i-where-email-like', `SELECT id FROM hr.employees WHERE email LIKE 'zed.%'`, `SELECT id FROM hr.employees WHERE email LIKE 'zex.%'`],
    ['i-where-ssn-renamed', `SELECT a FROM ${E7} WHERE d LIKE '372%'`, `SELECT a FROM ${E7} WHERE d LIKE '373%'`],
    ['i-limit-salary', `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT salary / 987654 FROM hr.employees WHERE id = 3)`, `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT salary / 987655 FROM hr.employees WHERE id = 3)`],
    ['i-offset-salary', `SELECT id FROM hr.employees ORDER BY id OFFSET (SELECT salary - 987650 FROM hr.employees WHERE id = 3)`, `SELECT id FROM hr.employees ORDER BY id OFFSET (SELECT salary - 987651 FROM hr.employees WHERE id = 3)`],
    ['i-fetch-first-salary', `SELECT id FROM hr.employees ORDER BY id FETCH FIRST (SELECT salary - 987652 FROM hr.employees WHERE id = 3) ROWS ONLY`, `SELECT id FROM hr.employees ORDER BY id FETCH FIRST (SELECT salary - 987653 FROM hr.employees WHERE id = 3) ROWS ONLY`],
    ['i-order-by-position', `SELECT id, salary FROM hr.employees ORDER BY 2, 1`, `SELECT id, salary FROM hr.employees ORDER BY 2 DESC, 1`],
    ['i-order-by-alias', `SELECT id, salary AS s FROM hr.employees ORDER BY s, id`, `SELECT id, salary AS s FROM hr.employees ORDER BY s DESC, id`],
    ['i-order-by-hidden-salary', `SELECT id FROM hr.employees ORDER BY salary, id`, `SELECT id FROM hr.employees ORDER BY salary DESC, id`],
    ['i-order-by-subquery', `SELECT id FROM hr.employees e ORDER BY (SELECT e.salary), id`, `SELECT id FROM hr.employees e ORDER BY (SELECT -e.salary), id`],
    ['i-order-by-lateral', `SELECT e.id FROM hr.employees e, LATERAL (SELECT e.salary AS s) l ORDER BY l.s, e.id`, `SELECT e.id FROM hr.employees e, LATERAL (SELECT e.salary AS s) l ORDER BY l.s DESC, e.id`],
    ['i-order-by-ssn', `SELECT id FROM hr.employees ORDER BY ssn, id`, `SELECT id FROM hr.employees ORDER BY ssn DESC, id`],
    ['i-order-by-ssn-star', `SELECT id FROM (SELECT * FROM hr.employees) s ORDER BY s.ssn, id`, `SELECT id FROM (SELECT * FROM hr.employees) s ORDER BY s.ssn DESC, id`],
    ['i-order-by-email', `SELECT id FROM hr.employees WHERE id IN (3, 4) ORDER BY email, id`, `SELECT id FROM hr.employees WHERE id IN (3, 4) ORDER BY email DESC, id`],
    ['i-order-limit-pick', `SELECT name FROM hr.employees WHERE id IN (3, 4) ORDER BY email, id LIMIT 1`, `SELECT name FROM hr.employees WHERE id IN (3, 4) ORDER BY email DESC, id LIMIT 1`],
    ['i-distinct-email', `SELECT DISTINCT email FROM hr.employees WHERE id IN (3, 4)`, `SELECT DISTINCT email FROM hr.employees WHERE id IN (3, 3)`],
    ['i-distinct-count-email', `SELECT count(DISTINCT email) FROM hr.employees WHERE id IN (3, 4)`, `SELECT count(DISTINCT email) FROM hr.employees WHERE id IN (3, 3)`],
    ['i-group-by-email', `SELECT count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY email`, `SELECT count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY left(email, 1)`],
    ['i-group-by-position-email', `SELECT email, count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY 1`, `SELECT 'z***@corp.example', count(*) FROM hr.employees WHERE id IN (3, 4) GROUP BY 1`],
    ['i-group-by-salary-count', `SELECT count(*) FROM (SELECT salary FROM hr.employees GROUP BY salary) s`, `SELECT count(*) FROM (SELECT NULL::integer AS s FROM hr.employees GROUP BY 1) s`],
    ['i-having-salary', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING max(salary) > 987653 ORDER BY 1`, `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING max(salary) > 987655 ORDER BY 1`],
    ['i-window-rank-salary', `SELECT id, rank() OVER (ORDER BY salary, id) FROM hr.employees ORDER BY id`, `SELECT id, rank() OVER (ORDER BY salary DESC, id) FROM hr.employees ORDER BY id`],
    ['i-window-partition-email', `SELECT id, count(*) OVER (PARTITION BY email) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, count(*) OVER (PARTITION BY left(email, 1)) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-row-number-email', `SELECT id, row_number() OVER (ORDER BY email, id) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`, `SELECT id, row_number() OVER (ORDER BY email DESC, id) FROM hr.employees WHERE id IN (3, 4) ORDER BY id`],
    ['i-window-percent-rank-salary', `SELECT id, percent_rank() OVER (ORDER BY salary, id) FROM hr.employees ORDER BY id`, `SELECT id, percent_rank() OVER (ORDER BY salary DESC, id) FROM hr.employees ORDER BY id`],
    ['i-count-between-salary', `SELECT count(*) FROM hr.employees WHERE salary BETWEEN 987000 AND 988000`, `SELECT count(*) FROM hr.employees WHERE salary BETWEEN 986000 AND 987000`],
    ['i-count-renamed-salary', `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t WHERE s > 987653`, `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t WHERE s > 987655`],
    ['i-count-filter-salary', `SELECT count(*) FILTER (WHERE salary > 987653) FROM hr.employees`, `SELECT count(*) FILTER (WHERE salary > 987655) FROM hr.employees`],
    ['i-bool-or-salary', `SELECT bool_or(salary > 987653) FROM hr.employees`, `SELECT bool_or(salary > 987655) FROM hr.employees`],
    ['i-case-salary', `SELECT CASE WHEN salary > 987653 THEN 'y' ELSE 'n' END FROM hr.employees WHERE id = 3`, `SELECT CASE WHEN salary > 987655 THEN 'y' ELSE 'n' END FROM hr.employees WHERE id = 3`],
    ['i-nullif-salary', `SELECT nullif(salary, 987654) IS NULL FROM hr.employees WHERE id = 3`, `SELECT nullif(salary, 987655) IS NULL FROM hr.employees WHERE id = 3`],
    ['i-is-distinct-salary', `SELECT count(*) FROM hr.employees WHERE salary IS DISTINCT FROM 987654`, `SELECT count(*) FROM hr.employees WHERE salary IS DISTINCT FROM 987655`],
    ['i-row-compare-salary', `SELECT count(*) FROM hr.employees e WHERE (e.id, e.salary) > (3, 987653)`, `SELECT count(*) FROM hr.employees e WHERE (e.id, e.salary) > (3, 987655)`],
    ['i-tuple-in-salary', `SELECT count(*) FROM hr.employees WHERE (id, salary) IN ((3, 987654))`, `SELECT count(*) FROM hr.employees WHERE (id, salary) IN ((3, 987655))`],
    ['i-array-position-salary', `SELECT array_position(ARRAY(SELECT salary FROM hr.employees ORDER BY id), 987654)`, `SELECT array_position(ARRAY(SELECT salary FROM hr.employees ORDER BY id), 987655)`],
    ['i-jsonpath-salary', `SELECT jsonb_path_exists(to_jsonb(salary), '$ ? (@ > 987653)') FROM hr.employees WHERE id = 3`, `SELECT jsonb_path_exists(to_jsonb(salary), '$ ? (@ > 987655)') FROM hr.employees WHERE id = 3`],
    ['i-generate-series-salary', `SELECT count(*) FROM generate_series(1, (SELECT salary - 987650 FROM hr.employees WHERE id = 3))`, `SELECT count(*) FROM generate_series(1, (SELECT salary - 987651 FROM hr.employees WHERE id = 3))`],
    ['i-repeat-length-salary', `SELECT length(repeat('x', (SELECT salary - 987650 FROM hr.employees WHERE id = 3)))`, `SELECT length(repeat('x', (SELECT salary - 987651 FROM hr.employees WHERE id = 3)))`],
    ['i-lateral-limit-salary', `SELECT count(*) FROM hr.employees e, LATERAL (SELECT 1 FROM hr.departments LIMIT (e.salary - 987652)) l WHERE e.id = 3`, `SELECT count(*) FROM hr.employees e, LATERAL (SELECT 1 FROM hr.departments LIMIT (e.salary - 987653)) l WHERE e.id = 3`],
    ['i-lateral-filter-salary', `SELECT e.id FROM hr.employees e, LATERAL (SELECT e.salary AS s) l WHERE l.s > 987653`, `SELECT e.id FROM hr.employees e, LATERAL (SELECT e.salary AS s) l WHERE l.s > 987655`],
    ['i-join-on-salary', `SELECT count(*) FROM hr.employees e JOIN (VALUES (987654)) v(s) ON e.salary = v.s`, `SELECT count(*) FROM hr.employees e JOIN (VALUES (987655)) v(s) ON e.salary = v.s`],
    ['i-join-on-salary-range', `SELECT count(*) FROM hr.employees e JOIN hr.departments d ON e.salary > d.budget`, `SELECT count(*) FROM hr.employees e JOIN hr.departments d ON e.salary > d.budget * 2`],
    ['i-except-salary', `SELECT count(*) FROM (SELECT salary FROM hr.employees EXCEPT SELECT 987654) s`, `SELECT count(*) FROM (SELECT salary FROM hr.employees EXCEPT SELECT 987655) s`],
    ['i-join-using-ssn', `SELECT count(*) FROM hr.employees JOIN (VALUES ('372-81-5096')) v(ssn) USING (ssn)`, `SELECT count(*) FROM hr.employees JOIN (VALUES ('372-81-5097')) v(ssn) USING (ssn)`],
    ['i-natural-join-ssn', `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, '372-81-5096'::text AS ssn) v`, `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, '372-81-5097'::text AS ssn) v`],
    ['i-natural-join-email', `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyk@corp.example'::text AS email) v`, `SELECT count(*) FROM hr.employees NATURAL JOIN (SELECT 3 AS id, 'zed.kowalczyx@corp.example'::text AS email) v`],
    ['i-exists-renamed-ssn', `SELECT EXISTS (SELECT 1 FROM ${E7} WHERE d = '372-81-5096')`, `SELECT EXISTS (SELECT 1 FROM ${E7} WHERE d = '372-81-5097')`],
    ['i-in-renamed-ssn', `SELECT '372-81-5096' IN (SELECT d FROM ${E7})`, `SELECT '372-81-5097' IN (SELECT d FROM ${E7})`],
    ['i-substring-renamed-ssn', `SELECT substring(d, 1, 3) = '372' FROM ${E7} WHERE a = 3`, `SELECT substring(d, 1, 3) = '373' FROM ${E7} WHERE a = 3`],
    ['i-cte-colnames-ssn', `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT count(*) FROM c WHERE s LIKE '372%'`, `WITH c(a, b, c2, x, s, f, g) AS (SELECT * FROM hr.employees) SELECT count(*) FROM c WHERE s LIKE '373%'`],
    ['i-cte-email', `WITH c(m) AS (SELECT email FROM hr.employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyk@corp.example'`, `WITH c(m) AS (SELECT email FROM hr.employees) SELECT count(*) FROM c WHERE m = 'zed.kowalczyx@corp.example'`],
    ['i-length-email', `SELECT length(email) FROM hr.employees WHERE id = 3`, `SELECT length(email) FROM hr.employees WHERE id = 4`],
    ['i-substring-email', `SELECT substring(email, 2, 3) FROM hr.employees WHERE id = 3`, `SELECT substring(email, 2, 3) FROM hr.employees WHERE id = 4`],
    ['i-position-email', `SELECT position('.' in email) FROM hr.employees WHERE id = 3`, `SELECT position('.' in email) FROM hr.employees WHERE id = 4`],
    ['i-md5-email', `SELECT md5(email) FROM hr.employees WHERE id = 3`, `SELECT md5(email) FROM hr.employees WHERE id = 4`],
    ['i-md5-salary', `SELECT md5(salary::text) FROM hr.employees WHERE id = 3`, `SELECT md5(salary::text) FROM hr.employees WHERE id = 4`],
    ['i-sha256-ssn', `SELECT sha256(convert_to(d, 'UTF8')) FROM ${E7} WHERE a = 3`, `SELECT sha256(convert_to(d, 'UTF8')) FROM ${E7} WHERE a = 4`],
    ['i-max-min-email', `SELECT max(email) FROM hr.employees WHERE id IN (3, 4)`, `SELECT min(email) FROM hr.employees WHERE id IN (3, 4)`],
    ['i-regex-email', `SELECT count(*) FROM hr.employees WHERE email ~ '^zed\\.k'`, `SELECT count(*) FROM hr.employees WHERE email ~ '^zed\\.q'`],
    ['i-similar-email', `SELECT count(*) FROM hr.employees WHERE email SIMILAR TO 'zed%'`, `SELECT count(*) FROM hr.employees WHERE email SIMILAR TO 'zex%'`],
    ['i-starts-with-email', `SELECT count(*) FROM hr.employees WHERE starts_with(email, 'zed')`, `SELECT count(*) FROM hr.employees WHERE starts_with(email, 'zex')`],
    ['i-union-dedupe-email', `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 4`, `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 3`],
    ['i-intersect-email', `SELECT count(*) FROM (SELECT email FROM hr.employees WHERE id = 3 INTERSECT SELECT email FROM hr.employees WHERE id = 4) s`, `SELECT count(*) FROM (SELECT email FROM hr.employees WHERE id = 3 INTERSECT SELECT email FROM hr.employees WHERE id = 3) s`],
    ['i-self-join-email', `SELECT count(*) FROM hr.employees a JOIN hr.employees b ON a.email = b.email AND a.id < b.id`, `SELECT count(*) FROM hr.employees a JOIN hr.employees b ON left(a.email, 1) = left(b.email, 1) AND a.id < b.id`],
    ['i-exists-correlated-email', `SELECT id FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.email LIKE 'zed%') ORDER BY id`, `SELECT id FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.email LIKE 'zex%') ORDER BY id`],
    ['i-string-agg-order-salary', `SELECT string_agg(name, ',' ORDER BY salary, id) FROM hr.employees`, `SELECT string_agg(name, ',' ORDER BY salary DESC, id) FROM hr.employees`],
    ['i-array-agg-order-email', `SELECT array_agg(id ORDER BY email, id) FROM hr.employees WHERE id IN (3, 4)`, `SELECT array_agg(id ORDER BY email DESC, id) FROM hr.employees WHERE id IN (3, 4)`],
    ['i-phone-like', `SELECT count(*) FROM hr.contacts WHERE phone LIKE '+1-555-0142%'`, `SELECT count(*) FROM hr.contacts WHERE phone LIKE '+1-555-0143%'`],
    ['i-phone-substr', `SELECT count(*) FROM hr.contacts WHERE substr(phone, 8, 4) = '0142'`, `SELECT count(*) FROM hr.contacts WHERE substr(phone, 8, 4) = '0143'`],
    ['i-token-like', `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token LIKE 'TOKEN-7%')`, `SELECT EXISTS (SELECT 1 FROM hr.salaries_secret WHERE token LIKE 'TOKEN-8%')`],
    // The same questions asked through a renaming the name-based check does not follow.
    ['i-derived-order-salary', `SELECT n FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY s, n`, `SELECT n FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY s DESC, n`],
    ['i-derived-distinct-email', `SELECT DISTINCT m FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t`, `SELECT DISTINCT m FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 3)) t`],
    ['i-derived-group-email', `SELECT count(*) FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t GROUP BY m`, `SELECT count(*) FROM (SELECT email AS m FROM hr.employees WHERE id IN (3, 4)) t GROUP BY left(m, 1)`],
    ['i-derived-window-salary', `SELECT n, rank() OVER (ORDER BY s, n) FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY n`, `SELECT n, rank() OVER (ORDER BY s DESC, n) FROM (SELECT id AS n, salary AS s FROM hr.employees) t ORDER BY n`],
    ['i-derived-limit-salary', `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT s / 987654 FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3)`, `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT s / 987655 FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3)`],
    ['i-derived-having-salary', `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM hr.employees) t GROUP BY d HAVING max(s) > 987653 ORDER BY 1`, `SELECT d FROM (SELECT dept_id AS d, salary AS s FROM hr.employees) t GROUP BY d HAVING max(s) > 987655 ORDER BY 1`],
    ['i-derived-join-salary', `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t JOIN hr.departments d ON t.s > d.budget`, `SELECT count(*) FROM (SELECT salary AS s FROM hr.employees) t JOIN hr.departments d ON t.s > d.budget * 2`],
    ['i-cte-length-email', `WITH c AS (SELECT id, email AS m FROM hr.employees) SELECT length(m) FROM c WHERE id = 3`, `WITH c AS (SELECT id, email AS m FROM hr.employees) SELECT length(m) FROM c WHERE id = 4`],
    ['i-derived-phone-like', `SELECT count(*) FROM (SELECT phone AS p FROM hr.contacts) t WHERE p LIKE '+1-555-0142%'`, `SELECT count(*) FROM (SELECT phone AS p FROM hr.contacts) t WHERE p LIKE '+1-555-0143%'`],
    ['i-lateral-in-email', `SELECT 'zed.kowalczyk@corp.example' IN (SELECT l.m FROM hr.employees e, LATERAL (SELECT e.email AS m) l)`, `SELECT 'zed.kowalczyx@corp.example' IN (SELECT l.m FROM hr.employees e, LATERAL (SELECT e.email AS m) l)`],
  ]),
  {
    id: 'i-param-salary',
    cls: 'inference',
    sql: 'SELECT id FROM hr.employees WHERE salary > $1 ORDER BY id',
    params: [987653],
    twin: 'SELECT id FROM hr.employees WHERE salary > $1 ORDER BY id',
    twinParams: [987655],
  },
  {
    id: 'i-param-email',
    cls: 'inference',
    sql: 'SELECT count(*) FROM hr.employees WHERE email = $1',
    params: ['zed.kowalczyk@corp.example'],
    twin: 'SELECT count(*) FROM hr.employees WHERE email = $1',
    twinParams: ['zed.kowalczyx@corp.example'],
  },

  ...group('errors', [
    ['e-cast-int-email-subquery', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::int`],
    ['e-cast-int-email', `SELECT email::int FROM hr.employees WHERE id = 3`],
    ['e-cast-numeric-email-derived', `SELECT m::numeric FROM (SELECT email AS m FROM hr.employees WHERE id = 3) s`],
    ['e-cast-jsonb-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::jsonb`],
    ['e-cast-uuid-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::uuid`],
    ['e-cast-inet-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::inet`],
    ['e-cast-bool-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::boolean`],
    ['e-cast-interval-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::interval`],
    ['e-cast-date-ssn-renamed', `SELECT d::date FROM ${E7} WHERE a = 3`],
    ['e-cast-int-ssn-renamed', `SELECT d::int FROM ${E7}`],
    ['e-cast-int-phone', `SELECT phone::int FROM hr.contacts WHERE id = 3`],
    ['e-cast-int-phone-derived', `SELECT p::int FROM (SELECT phone AS p FROM hr.contacts) s`],
    ['e-cast-int-token', `SELECT token::int FROM hr.salaries_secret`],
    ['e-cast-int-prefix-email', `SELECT substr((SELECT email FROM hr.employees WHERE id = 3), 1, 4)::int`],
    ['e-cast-in-aggregate', `SELECT sum(email::int) FROM hr.employees`],
    ['e-cast-in-order-by', `SELECT id FROM hr.employees ORDER BY email::int`],
    ['e-cast-in-where', `SELECT id FROM hr.employees WHERE email::int > 0`],
    ['e-cast-in-join', `SELECT 1 FROM hr.employees e JOIN hr.departments d ON d.id = e.email::int`],
    ['e-cast-in-materialized-cte', `WITH c AS MATERIALIZED (SELECT email::int AS n FROM hr.employees) SELECT count(*) FROM c`],
    ['e-cast-row-text', `SELECT (e::text)::int FROM hr.employees e`],
    ['e-cast-jsonb-field-ssn', `SELECT (to_jsonb(e) ->> 'ssn')::int FROM hr.employees e`],
    ['e-to-date-email', `SELECT to_date((SELECT email FROM hr.employees WHERE id = 3), 'YYYY-MM-DD')`],
    ['e-time-zone-email', `SELECT now() AT TIME ZONE (SELECT email FROM hr.employees WHERE id = 3)`],
    ['e-date-trunc-unit-email', `SELECT date_trunc(email, now()) FROM hr.employees WHERE id = 3`],
    ['e-date-part-unit-email', `SELECT date_part(email, now()) FROM hr.employees WHERE id = 3`],
    ['e-chr-salary', `SELECT chr(salary * 10) FROM hr.employees WHERE id = 3`],
    ['e-make-date-salary', `SELECT make_date(2020, 1, salary) FROM hr.employees WHERE id = 3`],
    ['e-make-date-renamed-salary', `SELECT make_date(2020, 1, x) FROM hr.employees AS e(a, b, c, x) WHERE a = 3`],
    ['e-json-concat-email', `SELECT ('{"a": ' || (SELECT email FROM hr.employees WHERE id = 3) || '}')::json`],
    ['e-jsonpath-email', `SELECT (SELECT email FROM hr.employees WHERE id = 3)::jsonpath`],
    ['e-div-zero-salary', `SELECT 1 / (salary - 987654) FROM hr.employees WHERE id = 3`, `SELECT 1 / (salary - 987655) FROM hr.employees WHERE id = 3`],
    ['e-div-zero-where-salary', `SELECT count(*) FROM hr.employees WHERE 1 / (salary - 987654) > 0`, `SELECT count(*) FROM hr.employees WHERE 1 / (salary - 987655) > 0`],
    ['e-sqrt-negative-salary', `SELECT sqrt(salary - 987654) FROM hr.employees WHERE id = 3`, `SELECT sqrt(salary - 987655) FROM hr.employees WHERE id = 3`],
    ['e-ln-zero-salary', `SELECT ln(salary - 987653) FROM hr.employees WHERE id = 3`, `SELECT ln(salary - 987654) FROM hr.employees WHERE id = 3`],
    ['e-int2-overflow-salary', `SELECT (salary - 987654 + 32767)::int2 FROM hr.employees WHERE id = 3`, `SELECT (salary - 987653 + 32767)::int2 FROM hr.employees WHERE id = 3`],
    ['e-numeric-overflow-salary', `SELECT (salary - 887655)::numeric(5, 0) FROM hr.employees WHERE id = 3`, `SELECT (salary - 887654)::numeric(5, 0) FROM hr.employees WHERE id = 3`],
    ['e-range-bounds-salary', `SELECT isempty(int4range(salary, 987654)) FROM hr.employees WHERE id = 3`, `SELECT isempty(int4range(salary, 987653)) FROM hr.employees WHERE id = 3`],
    ['e-array-subscript-salary', `SELECT ('{1,2,3,4}'::int[])[salary - 987652] FROM hr.employees WHERE id = 3`, `SELECT ('{1,2,3,4}'::int[])[salary - 987653] FROM hr.employees WHERE id = 3`],
    ['e-regex-error-salary', `SELECT 'x' ~ CASE WHEN salary > 987653 THEN '(' ELSE 'x' END FROM hr.employees WHERE id = 3`, `SELECT 'x' ~ CASE WHEN salary > 987655 THEN '(' ELSE 'x' END FROM hr.employees WHERE id = 3`],
    ['e-series-step-zero-salary', `SELECT count(*) FROM generate_series(1, 2, (SELECT salary - 987654 FROM hr.employees WHERE id = 3))`, `SELECT count(*) FROM generate_series(1, 2, (SELECT salary - 987655 FROM hr.employees WHERE id = 3))`],
    ['e-format-specifier-email', `SELECT format('%' || substr(email, 2, 1), 1) FROM hr.employees WHERE id = 3`, `SELECT format('%' || substr(email, 2, 1), 1) FROM hr.employees WHERE id = 4`],
    ['e-to-timestamp-email', `SELECT to_timestamp(email, 'HH24') FROM hr.employees WHERE id = 3`, `SELECT to_timestamp(email, 'HH24') FROM hr.employees WHERE id = 4`],
    ['e-div-zero-ssn-renamed', `SELECT 1 / (CASE WHEN d LIKE '372%' THEN 0 ELSE 1 END) FROM ${E7} WHERE a = 3`, `SELECT 1 / (CASE WHEN d LIKE '373%' THEN 0 ELSE 1 END) FROM ${E7} WHERE a = 3`],
    ['e-div-zero-token', `SELECT count(*) FROM hr.salaries_secret WHERE 1 / (CASE WHEN token LIKE 'TOKEN-7%' THEN 0 ELSE 1 END) = 1`, `SELECT count(*) FROM hr.salaries_secret WHERE 1 / (CASE WHEN token LIKE 'TOKEN-8%' THEN 0 ELSE 1 END) = 1`],
    // The same errors reached through a renaming.
    ['e-derived-div-zero-salary', `SELECT 1 / (s - 987654) FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3`, `SELECT 1 / (s - 987655) FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3`],
    ['e-colnames-sqrt-salary', `SELECT sqrt(x - 987654) FROM hr.employees AS e(a, b, c, x) WHERE a = 3`, `SELECT sqrt(x - 987655) FROM hr.employees AS e(a, b, c, x) WHERE a = 3`],
    ['e-cte-int2-overflow-salary', `WITH c(i, s) AS (SELECT id, salary FROM hr.employees) SELECT (s - 987654 + 32767)::int2 FROM c WHERE i = 3`, `WITH c(i, s) AS (SELECT id, salary FROM hr.employees) SELECT (s - 987653 + 32767)::int2 FROM c WHERE i = 3`],
    ['e-derived-to-timestamp-email', `SELECT to_timestamp(m, 'HH24') FROM (SELECT id, email AS m FROM hr.employees) t WHERE id = 3`, `SELECT to_timestamp(m, 'HH24') FROM (SELECT id, email AS m FROM hr.employees) t WHERE id = 4`],
    ['e-derived-chr-salary', `SELECT chr(s * 10) FROM (SELECT id, salary AS s FROM hr.employees) t WHERE id = 3`],
    ['e-derived-date-trunc-email', `SELECT date_trunc(m, now()) FROM (SELECT id, email AS m FROM hr.employees) t WHERE id = 3`],
    ['e-lateral-cast-email', `SELECT l.m::int FROM hr.employees e, LATERAL (SELECT e.email AS m) l WHERE e.id = 3`],
  ]),

  ...group('whole-row', [
    ['w-attr-to-jsonb', `SELECT e.to_jsonb FROM hr.employees e`],
    ['w-attr-row-to-json', `SELECT e.row_to_json FROM hr.employees e`],
    ['w-attr-to-json', `SELECT e.to_json FROM hr.employees e`],
    ['w-attr-to-jsonb-table', `SELECT employees.to_jsonb FROM hr.employees`],
    ['w-attr-quoted', `SELECT e."to_jsonb" FROM hr.employees e`],
    ['w-attr-field', `SELECT (e.to_jsonb) ->> 'ssn' FROM hr.employees e`],
    ['w-attr-contacts', `SELECT c.to_jsonb FROM hr.contacts c`],
    ['w-fn-to-jsonb', `SELECT to_jsonb(e) FROM hr.employees e`],
    ['w-fn-row-to-json', `SELECT row_to_json(e) FROM hr.employees e`],
    ['w-fn-to-json-table-name', `SELECT to_json(employees) FROM hr.employees`],
    ['w-bare-table-name', `SELECT employees FROM hr.employees`],
    ['w-bare-alias', `SELECT e FROM hr.employees e`],
    ['w-row-star', `SELECT row(e.*) FROM hr.employees e`],
    ['w-row-star-text', `SELECT row(e.*)::text FROM hr.employees e`],
    ['w-cast-text', `SELECT e::text FROM hr.employees e`],
    ['w-paren-star-text', `SELECT (e.*)::text FROM hr.employees e`],
    ['w-star', `SELECT * FROM hr.employees`],
    ['w-alias-star', `SELECT e.* FROM hr.employees e`],
    ['w-table-stmt', `TABLE hr.employees`],
    ['w-composite-star', `SELECT (e).* FROM hr.employees e`],
    ['w-field-ssn', `SELECT (e).ssn FROM hr.employees e`],
    ['w-json-agg', `SELECT json_agg(e) FROM hr.employees e`],
    ['w-jsonb-agg-table-name', `SELECT jsonb_agg(employees) FROM hr.employees`],
    ['w-array-agg-row', `SELECT array_agg(e) FROM hr.employees e`],
    ['w-string-agg-row', `SELECT string_agg(e::text, ';') FROM hr.employees e`],
    ['w-format-row', `SELECT format('%s', e) FROM hr.employees e`],
    ['w-concat-row', `SELECT concat(e) FROM hr.employees e`],
    ['w-subquery-row', `SELECT (SELECT e) FROM hr.employees e`],
    ['w-array-row', `SELECT ARRAY[e] FROM hr.employees e`],
    ['w-derived-whole-row', `SELECT s FROM (SELECT * FROM hr.employees) s`],
    ['w-cte-whole-row', `WITH c AS (SELECT * FROM hr.employees) SELECT c FROM c`],
    ['w-lateral-whole-row', `SELECT to_jsonb(l) FROM hr.employees e, LATERAL (SELECT e.*) l`],
    ['w-values-whole-row', `SELECT v.r FROM hr.employees e, LATERAL (VALUES (e)) v(r)`],
    ['w-jsonb-populate', `SELECT jsonb_populate_record(e, '{}') FROM hr.employees e`],
    ['w-json-build-array-star', `SELECT json_build_array(e.*) FROM hr.employees e`],
    ['w-jsonb-build-object-row', `SELECT jsonb_build_object('r', e) FROM hr.employees e`],
    ['w-row-to-json-derived', `SELECT row_to_json(s) FROM (SELECT id, email, salary FROM hr.employees) s`],
    ['w-row-to-json-lateral-colnames', `SELECT row_to_json(t) FROM hr.employees AS e(a, b, c, x) CROSS JOIN LATERAL (SELECT c, x) t`],
    ['w-contacts-text', `SELECT c::text FROM hr.contacts c`],
    ['w-secret-to-jsonb', `SELECT to_jsonb(s) FROM hr.salaries_secret s`],
    ['w-md5-row', `SELECT md5(e::text) = md5('(3,"Zoe Example",zed.kowalczyk@corp.example,987654,372-81-5096,1,2018-01-10)') FROM hr.employees e WHERE id = 3`, `SELECT md5(e::text) = md5('(3,"Zoe Example",zed.kowalczyk@corp.example,987654,372-81-5097,1,2018-01-10)') FROM hr.employees e WHERE id = 3`],
    ['w-row-equals', `SELECT count(*) FROM hr.employees e WHERE e = ROW(3, 'Zoe Example'::text, 'zed.kowalczyk@corp.example'::text, 987654, '372-81-5096'::text, 1, '2018-01-10'::date)`, `SELECT count(*) FROM hr.employees e WHERE e = ROW(3, 'Zoe Example'::text, 'zed.kowalczyk@corp.example'::text, 987654, '372-81-5097'::text, 1, '2018-01-10'::date)`],
    ['w-jsonb-contains', `SELECT count(*) FROM hr.employees e WHERE to_jsonb(e) @> '{"ssn": "372-81-5096"}'`, `SELECT count(*) FROM hr.employees e WHERE to_jsonb(e) @> '{"ssn": "372-81-5097"}'`],
  ]),
  ...group('whole-row', [
    ['w-attr-hstore', `SELECT e.hstore FROM hr.employees e`],
    ['w-fn-hstore', `SELECT hstore(e) FROM hr.employees e`],
    ['w-hstore-field', `SELECT hstore(e) -> 'ssn' FROM hr.employees e`],
  ], ['postgres']),

  ...group('name-resolution', [
    ['n-lower-int', `SELECT lower(3)`],
    ['n-lower-int2', `SELECT lower(3::smallint)`],
    ['n-lower-quoted', `SELECT "lower"(3)`],
    ['n-lower-qualified', `SELECT public.lower(3)`],
    ['n-lower-column', `SELECT lower(employee_id) FROM public.orders WHERE employee_id = 3`],
    ['n-lower-departments', `SELECT lower(id) FROM hr.departments WHERE id = 3`],
    ['n-lower-in-from', `SELECT * FROM lower(3)`],
    ['n-lower-in-cte', `WITH c AS (SELECT lower(3) AS v) SELECT v FROM c`],
    ['n-lower-where', `SELECT count(*) FROM public.orders WHERE lower(3) LIKE 'TOKEN-7%'`, `SELECT count(*) FROM public.orders WHERE lower(3) LIKE 'TOKEN-8%'`],
    ['n-abs-unknown', `SELECT abs('3')`],
    ['n-abs-unknown-lateral', `SELECT l.v FROM hr.departments d, LATERAL (SELECT abs('3') AS v) l`],
    ['n-upper-int', `SELECT upper(3)`],
    ['n-length-int', `SELECT length(3)`],
    ['n-length-order', `SELECT id FROM hr.employees ORDER BY length(id), id`, `SELECT id FROM hr.employees ORDER BY -length(id), id`],
    ['n-length-having', `SELECT count(*) FROM hr.departments HAVING length(3) > 987653`, `SELECT count(*) FROM hr.departments HAVING length(3) > 987655`],
    ['n-max-bool', `SELECT max(true)`],
    ['n-max-bool-table', `SELECT max(id > 0) FROM public.orders`],
    ['n-max-bool-window', `SELECT max(true) OVER () FROM hr.departments`],
    ['n-operator-tilde', `SELECT 3 <<~>> 0`],
    ['n-operator-qualified', `SELECT 3 OPERATOR(public.<<~>>) 0`],
    ['n-operator-where', `SELECT count(*) FROM public.orders WHERE (3 <<~>> 0) LIKE 'TOKEN-7%'`, `SELECT count(*) FROM public.orders WHERE (3 <<~>> 0) LIKE 'TOKEN-8%'`],
    ['n-operator-concat-int', `SELECT 3 || 0`],
    ['n-operator-concat-column', `SELECT id || 0 FROM hr.departments WHERE id = 3`],
    ['n-attr-badge', `SELECT e.badge FROM hr.employees e`],
    ['n-fn-badge', `SELECT badge(e) FROM hr.employees e`],
    ['n-attr-badge-table', `SELECT employees.badge FROM hr.employees`],
    ['n-attr-badge-subquery', `SELECT (SELECT e.badge) FROM hr.employees e`],
    ['n-attr-badge-where', `SELECT count(*) FROM hr.employees e WHERE e.badge = '372-81-5096'`, `SELECT count(*) FROM hr.employees e WHERE e.badge = '372-81-5097'`],
  ]),

  ...group('definitions', [
    ['d-viewdef-regclass', `SELECT pg_get_viewdef('public.v_vip'::regclass)`],
    ['d-viewdef-text', `SELECT pg_get_viewdef('public.v_vip')`],
    ['d-viewdef-unqualified', `SELECT pg_get_viewdef('v_vip')`],
    ['d-viewdef-pretty', `SELECT pg_get_viewdef('public.v_vip'::regclass, true)`],
    ['d-viewdef-oid', `SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relname = 'v_vip'`],
    ['d-viewdef-all', `SELECT string_agg(pg_get_viewdef(c.oid), ' ') FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace`],
    ['d-functiondef', `SELECT pg_get_functiondef('public.check_token(text)'::regprocedure)`],
    ['d-functiondef-oid', `SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.proname = 'check_token'`],
    ['d-prosrc', `SELECT prosrc FROM pg_proc WHERE proname = 'check_token'`],
    ['d-prosrc-all-public', `SELECT string_agg(prosrc, ' ') FROM pg_proc WHERE pronamespace = 'public'::regnamespace`],
    ['d-pg-views', `SELECT definition FROM pg_views WHERE viewname = 'v_vip'`],
    ['d-info-schema-views', `SELECT view_definition FROM information_schema.views WHERE table_name = 'v_vip'`],
    ['d-info-schema-routines', `SELECT routine_definition FROM information_schema.routines WHERE routine_name = 'check_token'`],
    ['d-ruledef', `SELECT pg_get_ruledef(r.oid) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE c.relname = 'v_vip'`],
    ['d-col-description', `SELECT col_description('hr.employees'::regclass, 5)`],
    ['d-obj-description', `SELECT obj_description('hr.salaries_secret'::regclass, 'pg_class')`],
    ['d-pg-description', `SELECT description FROM pg_description WHERE objoid IN ('hr.employees'::regclass, 'hr.salaries_secret'::regclass)`],
    ['d-attrdef', `SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef`],
    ['d-info-schema-default', `SELECT column_default FROM information_schema.columns WHERE table_name = 'salaries_secret'`],
    ['d-pg-stats-ssn', `SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'employees' AND attname = 'ssn'`],
    ['d-pg-stats-salary', `SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'employees' AND attname = 'salary'`],
    ['d-pg-stats-email', `SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'employees' AND attname = 'email'`],
    ['d-pg-stats-phone', `SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'contacts' AND attname = 'phone'`],
    ['d-pg-stats-token', `SELECT histogram_bounds::text FROM pg_stats WHERE tablename = 'salaries_secret'`],
    ['d-pg-stats-hr', `SELECT string_agg(coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, ''), ' ') FROM pg_stats WHERE schemaname = 'hr'`],
    ['d-pg-statistic', `SELECT stavalues1::text FROM pg_statistic`],
    ['d-explain-view', `EXPLAIN SELECT id FROM public.v_vip`],
    ['d-explain-verbose-view', `EXPLAIN (VERBOSE) SELECT * FROM public.v_vip`],
    ['d-explain-function', `EXPLAIN (VERBOSE) SELECT id FROM hr.employees WHERE public.check_token(name)`],
  ]),
  {
    id: 'd-pg-stats-param',
    cls: 'definitions',
    sql: 'SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE attname = $1',
    params: ['ssn'],
  },

  ...group('views', [
    ['v-tokens', `SELECT * FROM public.v_tokens`],
    ['v-tokens-column', `SELECT token FROM public.v_tokens`],
    ['v-tokens-unqualified', `SELECT token FROM v_tokens`],
    ['v-tokens-join', `SELECT e.name, t.token FROM hr.employees e JOIN public.v_tokens t ON t.employee_id = e.id`],
    ['v-tokens-subquery', `SELECT (SELECT max(token) FROM public.v_tokens)`],
    ['v-tokens-whole-row', `SELECT to_jsonb(v) FROM public.v_tokens v`],
    ['v-tokens-json-renamed', `SELECT json_build_object('k', token) FROM public.v_tokens`],
    ['v-tokens-union', `SELECT token FROM public.v_tokens UNION ALL SELECT 'x'`],
    ['v-tokens-cast-error', `SELECT token::int FROM public.v_tokens`],
    ['v-tokens-filter', `SELECT count(*) FROM public.v_tokens WHERE token LIKE 'TOKEN-7%'`, `SELECT count(*) FROM public.v_tokens WHERE token LIKE 'TOKEN-8%'`],
    ['v-bonus-total', `SELECT * FROM public.v_bonus_total`],
    ['v-bonus-total-cast-error', `SELECT last_token::int FROM public.v_bonus_total`],
    ['v-nested', `SELECT * FROM public.v_nested`],
    ['v-matview', `SELECT * FROM public.mv_tokens`],
    ['v-matview-filter', `SELECT count(*) FROM public.mv_tokens WHERE token LIKE 'TOKEN-7%'`, `SELECT count(*) FROM public.mv_tokens WHERE token LIKE 'TOKEN-8%'`],
    ['v-staff', `SELECT * FROM public.v_staff`],
    ['v-staff-ssn', `SELECT ssn FROM public.v_staff`],
    ['v-staff-whole-row', `SELECT v::text FROM public.v_staff v`],
    ['v-staff-cte', `WITH s AS (SELECT * FROM public.v_staff) SELECT ssn FROM s`],
    ['v-staff-lateral', `SELECT l.x FROM hr.departments d, LATERAL (SELECT ssn AS x FROM public.v_staff WHERE id = d.id) l`],
    ['v-staff-filter', `SELECT count(*) FROM public.v_staff WHERE ssn LIKE '372%'`, `SELECT count(*) FROM public.v_staff WHERE ssn LIKE '373%'`],
    ['v-contacts-masked', `SELECT email, salary FROM public.v_contacts`],
    ['v-contacts-filter', `SELECT count(*) FROM public.v_contacts WHERE salary > 987653`, `SELECT count(*) FROM public.v_contacts WHERE salary > 987655`],
    ['v-phones', `SELECT phone FROM public.v_phones`],
    ['v-vip-rows', `SELECT count(*) FROM public.v_vip WHERE id = 3`, `SELECT count(*) FROM public.v_vip WHERE id = 4`],
    ['v-rich-rows', `SELECT count(*) FROM public.v_rich WHERE id = 3`, `SELECT count(*) FROM public.v_rich WHERE id = 4`],
    ['v-directory-email', `SELECT email FROM reports.directory`],
    ['v-directory-email-filter', `SELECT count(*) FROM reports.directory WHERE email LIKE 'zed%'`, `SELECT count(*) FROM reports.directory WHERE email LIKE 'zex%'`],
    ['v-configured-fn', `SELECT public.employee_code(3)`],
    ['v-configured-fn-unqualified', `SELECT employee_code(3)`],
    ['v-configured-fn-in-from', `SELECT * FROM public.employee_code(3)`],
    ['v-configured-fn-filter', `SELECT employee_code(3) LIKE '372%'`, `SELECT employee_code(3) LIKE '373%'`],
  ]),
];

type B = [id: string, sql: string, params?: Param[]];
const benignGroup = (cls: BenignClass, expect: BenignCase['expect'], rows: B[]): BenignCase[] =>
  rows.map(([id, sql, params]) => ({ id, cls, sql, expect, ...(params === undefined ? {} : { params }) }));

export const benign: readonly BenignCase[] = [
  ...benignGroup('unruled-tables', 'model', [
    ['u-orders-star', `SELECT * FROM public.orders ORDER BY id`],
    ['u-orders-table-stmt', `TABLE public.orders`],
    ['u-orders-unqualified', `SELECT id, amount FROM orders ORDER BY id`],
    ['u-orders-filter', `SELECT id, amount FROM public.orders WHERE status = 'paid' AND amount > 50 ORDER BY id`],
    ['u-orders-like', `SELECT id FROM public.orders WHERE status LIKE 'ref%'`],
    ['u-orders-between-dates', `SELECT id FROM public.orders WHERE placed BETWEEN '2024-02-01' AND '2024-03-31' ORDER BY placed`],
    ['u-orders-order-desc', `SELECT id, amount FROM public.orders ORDER BY amount DESC, id LIMIT 3`],
    ['u-orders-offset', `SELECT id FROM public.orders ORDER BY id LIMIT 3 OFFSET 2`],
    ['u-orders-distinct-status', `SELECT DISTINCT status FROM public.orders ORDER BY status`],
    ['u-orders-whole-row', `SELECT to_jsonb(o) FROM public.orders o ORDER BY o.id`],
    ['u-orders-row-text', `SELECT o::text FROM public.orders o ORDER BY o.id`],
    ['u-orders-attr-notation', `SELECT o.to_jsonb FROM public.orders o ORDER BY o.id`],
    ['u-orders-cast', `SELECT amount::int, placed::text FROM public.orders ORDER BY id`],
    ['u-orders-case', `SELECT id, CASE WHEN amount > 100 THEN 'big' ELSE 'small' END FROM public.orders ORDER BY id`],
    ['u-orders-null-employee', `SELECT id FROM public.orders WHERE employee_id IS NULL`],
    ['u-customers-star', `SELECT * FROM public.customers ORDER BY id`],
    ['u-customers-in', `SELECT name FROM public.customers WHERE region IN ('north', 'east') ORDER BY name`],
    ['u-customers-regex', `SELECT name FROM public.customers WHERE name ~ '^[AG]' ORDER BY name`],
    ['u-customers-upper', `SELECT upper(name), length(name) FROM public.customers ORDER BY id`],
    ['u-departments-star', `SELECT * FROM hr.departments ORDER BY id`],
    ['u-departments-budget-filter', `SELECT name FROM hr.departments WHERE budget > 200000 ORDER BY name`],
    ['u-departments-whole-row', `SELECT row_to_json(d) FROM hr.departments d ORDER BY d.id`],
    ['u-departments-json-agg', `SELECT json_agg(d ORDER BY d.id) FROM hr.departments d`],
    ['u-departments-quoted', `SELECT "name" FROM "hr"."departments" ORDER BY "id"`],
    ['u-orders-param', `SELECT id FROM public.orders WHERE amount > $1 ORDER BY id`, [100]],
    ['u-values', `SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(n, s) ORDER BY n`],
    ['u-no-from', `SELECT 1 + 1 AS two, 'x' || 'y' AS xy`],
    ['u-generate-series', `SELECT g FROM generate_series(1, 5) g`],
    ['u-orders-date-trunc', `SELECT date_trunc('month', placed)::date AS m, count(*) FROM public.orders GROUP BY 1 ORDER BY 1`],
    ['u-orders-numeric-math', `SELECT id, round(amount * 1.2, 2) FROM public.orders ORDER BY id`],
  ]),

  ...benignGroup('allowed-columns', 'model', [
    ['ac-names', `SELECT id, name FROM hr.employees ORDER BY id`],
    ['ac-dept-hired', `SELECT id, dept_id, hired FROM hr.employees ORDER BY id`],
    ['ac-filter-name', `SELECT id FROM hr.employees WHERE name LIKE 'Z%' ORDER BY id`],
    ['ac-filter-hired', `SELECT name FROM hr.employees WHERE hired > '2020-01-01' ORDER BY name`],
    ['ac-order-name-desc', `SELECT name FROM hr.employees ORDER BY name DESC`],
    ['ac-distinct-dept', `SELECT DISTINCT dept_id FROM hr.employees ORDER BY 1`],
    ['ac-alias', `SELECT e.name AS who FROM hr.employees AS e ORDER BY who`],
    ['ac-colnames-short', `SELECT b FROM hr.employees AS e(a, b) ORDER BY a`],
    ['ac-quoted', `SELECT "name" FROM hr."employees" ORDER BY "id"`],
    ['ac-upper-case-ident', `SELECT NAME FROM HR.EMPLOYEES ORDER BY ID`],
    ['ac-expression', `SELECT id * 10, upper(name), extract(year FROM hired) FROM hr.employees ORDER BY id`],
    ['ac-in-list', `SELECT name FROM hr.employees WHERE id IN (1, 3, 5) ORDER BY id`],
    ['ac-exists', `SELECT EXISTS (SELECT 1 FROM hr.employees WHERE dept_id = 3)`],
    ['ac-limit', `SELECT id FROM hr.employees ORDER BY hired LIMIT 2`],
    ['ac-param', `SELECT name FROM hr.employees WHERE id = $1`, [3]],
    ['ac-coalesce', `SELECT coalesce(dept_id, 0) FROM hr.employees ORDER BY id`],
    ['ac-age-buckets', `SELECT id, CASE WHEN hired < '2020-01-01' THEN 'senior' ELSE 'junior' END FROM hr.employees ORDER BY id`],
    ['ac-string-functions', `SELECT split_part(name, ' ', 1), left(name, 2) FROM hr.employees ORDER BY id`],
    ['ac-json-build', `SELECT json_build_object('id', id, 'name', name) FROM hr.employees ORDER BY id`],
    ['ac-array-agg-names', `SELECT array_agg(name ORDER BY id) FROM hr.employees`],
  ]),

  ...benignGroup('joins', 'model', [
    ['j-emp-dept', `SELECT e.name, d.name FROM hr.employees e JOIN hr.departments d ON d.id = e.dept_id ORDER BY e.id`],
    ['j-emp-dept-using', `SELECT e.name, d.name FROM hr.employees e JOIN hr.departments d ON d.id = e.dept_id WHERE d.budget > 200000 ORDER BY e.id`],
    ['j-orders-customers', `SELECT o.id, c.name FROM public.orders o JOIN public.customers c ON c.id = o.customer_id ORDER BY o.id`],
    ['j-orders-employees', `SELECT o.id, e.name FROM public.orders o JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j-left-join', `SELECT o.id, e.name FROM public.orders o LEFT JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['j-right-join', `SELECT e.name, o.id FROM public.orders o RIGHT JOIN hr.employees e ON e.id = o.employee_id ORDER BY e.id, o.id`],
    ['j-full-join', `SELECT e.id, o.id FROM hr.employees e FULL JOIN public.orders o ON o.employee_id = e.id ORDER BY 1, 2`],
    ['j-three-way', `SELECT c.name, e.name, d.name FROM public.orders o JOIN public.customers c ON c.id = o.customer_id JOIN hr.employees e ON e.id = o.employee_id JOIN hr.departments d ON d.id = e.dept_id ORDER BY o.id`],
    ['j-self-join-dept', `SELECT a.name, b.name FROM hr.employees a JOIN hr.employees b ON a.dept_id = b.dept_id AND a.id < b.id ORDER BY a.id, b.id`],
    ['j-cross-join', `SELECT count(*) FROM hr.employees CROSS JOIN hr.departments`],
    ['j-lateral-top-order', `SELECT e.name, l.amount FROM hr.employees e CROSS JOIN LATERAL (SELECT amount FROM public.orders o WHERE o.employee_id = e.id ORDER BY amount DESC LIMIT 1) l ORDER BY e.id`],
    ['j-left-lateral', `SELECT e.id, l.n FROM hr.employees e LEFT JOIN LATERAL (SELECT count(*) AS n FROM public.orders o WHERE o.employee_id = e.id) l ON true ORDER BY e.id`],
    ['j-anti-join', `SELECT e.name FROM hr.employees e WHERE NOT EXISTS (SELECT 1 FROM public.orders o WHERE o.employee_id = e.id) ORDER BY e.id`],
    ['j-semi-join-in', `SELECT name FROM hr.employees WHERE id IN (SELECT employee_id FROM public.orders WHERE status = 'paid') ORDER BY id`],
    ['j-values-join', `SELECT e.name, v.label FROM hr.employees e JOIN (VALUES (1, 'one'), (3, 'three')) v(k, label) ON v.k = e.id ORDER BY e.id`],
    ['j-contacts-city', `SELECT e.name, c.city FROM hr.employees e JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
    ['j-natural-dept', `SELECT * FROM hr.departments NATURAL JOIN (SELECT 1 AS id) k`],
    ['j-using-id', `SELECT id, e.name FROM hr.employees e JOIN (SELECT 2 AS id) k USING (id)`],
    ['j-dept-orders-total', `SELECT d.name, sum(o.amount) FROM hr.departments d JOIN hr.employees e ON e.dept_id = d.id JOIN public.orders o ON o.employee_id = e.id GROUP BY d.name ORDER BY d.name`],
    ['j-customers-regions-orders', `SELECT c.region, count(o.id) FROM public.customers c LEFT JOIN public.orders o ON o.customer_id = c.id GROUP BY c.region ORDER BY c.region`],
  ]),

  ...benignGroup('aggregates', 'model', [
    ['a-count-employees', `SELECT count(*) FROM hr.employees`],
    ['a-count-per-dept', `SELECT dept_id, count(*) FROM hr.employees GROUP BY dept_id ORDER BY dept_id`],
    ['a-having', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING count(*) > 1 ORDER BY 1`],
    ['a-min-max-hired', `SELECT min(hired), max(hired) FROM hr.employees`],
    ['a-string-agg-names', `SELECT dept_id, string_agg(name, ', ' ORDER BY name) FROM hr.employees GROUP BY dept_id ORDER BY 1`],
    ['a-orders-sum', `SELECT status, sum(amount), avg(amount)::numeric(10, 2) FROM public.orders GROUP BY status ORDER BY status`],
    ['a-orders-filter-agg', `SELECT count(*) FILTER (WHERE status = 'paid'), count(*) FILTER (WHERE status = 'open') FROM public.orders`],
    ['a-orders-per-employee', `SELECT employee_id, count(*), sum(amount) FROM public.orders GROUP BY employee_id ORDER BY employee_id NULLS LAST`],
    ['a-group-by-pk', `SELECT e.id, e.name, count(o.id) FROM hr.employees e LEFT JOIN public.orders o ON o.employee_id = e.id GROUP BY e.id ORDER BY e.id`],
    ['a-grouping-sets', `SELECT dept_id, extract(year FROM hired) AS y, count(*) FROM hr.employees GROUP BY GROUPING SETS ((dept_id), (extract(year FROM hired)), ()) ORDER BY 1 NULLS LAST, 2 NULLS LAST`],
    ['a-rollup', `SELECT status, count(*) FROM public.orders GROUP BY ROLLUP (status) ORDER BY status NULLS LAST`],
    ['a-percentile', `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM public.orders`],
    ['a-mode', `SELECT mode() WITHIN GROUP (ORDER BY dept_id) FROM hr.employees`],
    ['a-bool-agg', `SELECT bool_and(amount > 10), bool_or(amount > 900) FROM public.orders`],
    ['a-count-distinct-dept', `SELECT count(DISTINCT dept_id) FROM hr.employees`],
    ['a-array-agg-ids', `SELECT dept_id, array_agg(id ORDER BY id) FROM hr.employees GROUP BY dept_id ORDER BY 1`],
    ['a-json-object-agg', `SELECT json_object_agg(name, dept_id ORDER BY id) FROM hr.employees`],
    ['a-stddev', `SELECT round(stddev_pop(amount), 2) FROM public.orders`],
    ['a-count-nonnull', `SELECT count(employee_id), count(*) FROM public.orders`],
    ['a-dept-budget-share', `SELECT name, round(100.0 * budget / sum(budget) OVER (), 1) FROM hr.departments ORDER BY id`],
  ]),

  ...benignGroup('windows', 'model', [
    ['w-row-number-hired', `SELECT id, row_number() OVER (ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-rank-per-dept', `SELECT id, rank() OVER (PARTITION BY dept_id ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-running-sum', `SELECT id, sum(amount) OVER (ORDER BY id) FROM public.orders ORDER BY id`],
    ['w-moving-avg', `SELECT id, avg(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)::numeric(10, 2) FROM public.orders ORDER BY id`],
    ['w-lag-lead', `SELECT id, lag(amount) OVER w, lead(amount) OVER w FROM public.orders WINDOW w AS (ORDER BY id) ORDER BY id`],
    ['w-first-last-name', `SELECT dept_id, first_value(name) OVER (PARTITION BY dept_id ORDER BY id), last_value(name) OVER (PARTITION BY dept_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM hr.employees ORDER BY id`],
    ['w-count-per-dept', `SELECT id, count(*) OVER (PARTITION BY dept_id) FROM hr.employees ORDER BY id`],
    ['w-ntile', `SELECT id, ntile(2) OVER (ORDER BY amount, id) FROM public.orders ORDER BY id`],
    ['w-dense-rank-status', `SELECT id, dense_rank() OVER (ORDER BY status) FROM public.orders ORDER BY id`],
    ['w-percent-rank-hired', `SELECT id, percent_rank() OVER (ORDER BY hired) FROM hr.employees ORDER BY id`],
    ['w-cume-dist', `SELECT id, cume_dist() OVER (ORDER BY amount) FROM public.orders ORDER BY id`],
    ['w-filter-in-window', `SELECT id, count(*) FILTER (WHERE status = 'paid') OVER (ORDER BY id) FROM public.orders ORDER BY id`],
    ['w-top-per-employee', `SELECT employee_id, id FROM (SELECT employee_id, id, row_number() OVER (PARTITION BY employee_id ORDER BY amount DESC) AS r FROM public.orders) s WHERE r = 1 ORDER BY employee_id NULLS LAST`],
    ['w-range-frame', `SELECT id, sum(amount) OVER (ORDER BY placed RANGE BETWEEN INTERVAL '30 days' PRECEDING AND CURRENT ROW) FROM public.orders ORDER BY id`],
    ['w-nth-value', `SELECT DISTINCT nth_value(name, 2) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM hr.employees`],
  ]),

  ...benignGroup('set-operations', 'model', [
    ['s-union-names', `SELECT name FROM hr.employees UNION SELECT name FROM public.customers ORDER BY 1`],
    ['s-union-all-ids', `SELECT id FROM hr.employees UNION ALL SELECT id FROM hr.departments ORDER BY 1`],
    ['s-intersect-ids', `SELECT id FROM hr.employees INTERSECT SELECT employee_id FROM public.orders ORDER BY 1`],
    ['s-except-ids', `SELECT id FROM hr.employees EXCEPT SELECT employee_id FROM public.orders ORDER BY 1`],
    ['s-union-dept-names', `SELECT name, 'dept' AS kind FROM hr.departments UNION ALL SELECT name, 'emp' FROM hr.employees ORDER BY 2, 1`],
    ['s-union-in-subquery', `SELECT count(*) FROM (SELECT name FROM hr.employees UNION SELECT name FROM hr.departments) s`],
    ['s-union-in-cte', `WITH people AS (SELECT name FROM hr.employees UNION ALL SELECT name FROM public.customers) SELECT count(*) FROM people`],
    ['s-union-orders', `SELECT id, amount FROM public.orders WHERE amount > 300 UNION SELECT id, amount FROM public.orders WHERE status = 'open' ORDER BY id`],
    ['s-union-with-masked-table-other-col', `SELECT hired FROM hr.employees UNION SELECT placed FROM public.orders ORDER BY 1`],
    ['s-except-all', `SELECT dept_id FROM hr.employees EXCEPT ALL SELECT id FROM hr.departments ORDER BY 1`],
    ['s-intersect-all', `SELECT dept_id FROM hr.employees INTERSECT ALL SELECT dept_id FROM hr.employees WHERE id < 4 ORDER BY 1`],
    ['s-union-values', `SELECT name FROM hr.employees WHERE id = 1 UNION ALL VALUES ('extra') ORDER BY 1`],
    ['s-nested-setops', `(SELECT id FROM hr.employees UNION SELECT id FROM hr.departments) EXCEPT SELECT 2 ORDER BY 1`],
    ['s-union-limit', `(SELECT name FROM hr.employees ORDER BY id LIMIT 2) UNION ALL (SELECT name FROM hr.departments ORDER BY id LIMIT 1) ORDER BY 1`],
    ['s-union-derived-join', `SELECT s.name, d.name FROM (SELECT id, name, dept_id FROM hr.employees UNION ALL SELECT 99, 'Nobody', 1) s JOIN hr.departments d ON d.id = s.dept_id ORDER BY s.id`],
  ]),

  ...benignGroup('ctes-subqueries', 'model', [
    ['c-cte-names', `WITH x AS (SELECT id, name FROM hr.employees) SELECT name FROM x ORDER BY id`],
    ['c-cte-colnames', `WITH x(i, n) AS (SELECT id, name FROM hr.employees) SELECT n FROM x ORDER BY i`],
    ['c-cte-chain', `WITH a AS (SELECT id, dept_id FROM hr.employees), b AS (SELECT dept_id, count(*) AS n FROM a GROUP BY dept_id) SELECT * FROM b ORDER BY dept_id`],
    ['c-cte-materialized', `WITH x AS MATERIALIZED (SELECT id FROM hr.employees) SELECT count(*) FROM x`],
    ['c-recursive', `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r`],
    ['c-scalar-subquery', `SELECT name, (SELECT count(*) FROM public.orders o WHERE o.employee_id = e.id) FROM hr.employees e ORDER BY id`],
    ['c-derived', `SELECT s.n FROM (SELECT name AS n FROM hr.employees) s ORDER BY 1`],
    ['c-derived-colnames', `SELECT y FROM (SELECT id, name FROM hr.employees) s(x, y) ORDER BY x`],
    ['c-in-subquery', `SELECT name FROM hr.departments WHERE id IN (SELECT dept_id FROM hr.employees WHERE hired < '2020-01-01') ORDER BY 1`],
    ['c-any-subquery', `SELECT id FROM public.orders WHERE employee_id = ANY (SELECT id FROM hr.employees WHERE dept_id = 1) ORDER BY id`],
    ['c-exists-correlated', `SELECT d.name FROM hr.departments d WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.dept_id = d.id AND e.name LIKE 'Z%') ORDER BY 1`],
    ['c-array-subquery', `SELECT ARRAY(SELECT name FROM hr.employees ORDER BY id)`],
    ['c-lateral-names', `SELECT d.name, l.n FROM hr.departments d, LATERAL (SELECT count(*) AS n FROM hr.employees e WHERE e.dept_id = d.id) l ORDER BY d.id`],
    ['c-compare-subquery', `SELECT id FROM public.orders WHERE amount > (SELECT avg(amount) FROM public.orders) ORDER BY id`],
    ['c-limit-subquery', `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT count(*) FROM hr.departments)`],
  ]),

  ...benignGroup('masked-selected', 'model', [
    ['ms-email', `SELECT id, email FROM hr.employees ORDER BY id`],
    ['ms-salary', `SELECT id, salary FROM hr.employees ORDER BY id`],
    ['ms-star', `SELECT * FROM hr.employees ORDER BY id`],
    ['ms-alias-star', `SELECT e.* FROM hr.employees e ORDER BY e.id`],
    ['ms-alias', `SELECT email AS contact FROM hr.employees ORDER BY id`],
    ['ms-derived', `SELECT m FROM (SELECT id, email AS m FROM hr.employees) s ORDER BY id`],
    ['ms-cte', `WITH c AS (SELECT id, email, salary FROM hr.employees) SELECT email, salary FROM c ORDER BY id`],
    ['ms-colnames', `SELECT c FROM hr.employees AS e(a, b, c) ORDER BY a`],
    ['ms-scalar-subquery', `SELECT (SELECT e.email) FROM hr.employees e ORDER BY e.id`],
    ['ms-lateral', `SELECT l.v FROM hr.employees e, LATERAL (SELECT e.email AS v) l ORDER BY e.id`],
    ['ms-array', `SELECT ARRAY(SELECT email FROM hr.employees ORDER BY id)`],
    ['ms-to-jsonb-derived', `SELECT to_jsonb(s) FROM (SELECT id, email, salary FROM hr.employees) s ORDER BY s.id`],
    ['ms-join', `SELECT o.id, e.email FROM public.orders o JOIN hr.employees e ON e.id = o.employee_id ORDER BY o.id`],
    ['ms-union-email', `SELECT email FROM hr.employees UNION ALL SELECT 'x@y.example' ORDER BY 1`],
    ['ms-string-agg', `SELECT string_agg(email, ',' ORDER BY id) FROM hr.employees`],
    ['ms-upper', `SELECT upper(email) FROM hr.employees ORDER BY id`],
    ['ms-coalesce', `SELECT coalesce(salary, 0), coalesce(email, '-') FROM hr.employees ORDER BY id`],
    ['ms-directory-view', `SELECT id, name FROM reports.directory ORDER BY id`],
  ]),

  ...benignGroup('masked-used', 'model', [
    ['mu-filter-like', `SELECT id FROM hr.employees WHERE email LIKE 'z%' ORDER BY id`],
    ['mu-filter-eq-masked', `SELECT id FROM hr.employees WHERE email = 'z***@corp.example' ORDER BY id`],
    ['mu-filter-domain', `SELECT count(*) FROM hr.employees WHERE email LIKE '%@corp.example'`],
    ['mu-filter-null-salary', `SELECT count(*) FROM hr.employees WHERE salary IS NULL`],
    ['mu-filter-salary-gt', `SELECT count(*) FROM hr.employees WHERE salary > 0`],
    ['mu-group-by-email', `SELECT email, count(*) FROM hr.employees GROUP BY email ORDER BY email NULLS LAST`],
    ['mu-group-by-position', `SELECT email, count(*) FROM hr.employees GROUP BY 1 ORDER BY 1 NULLS LAST`],
    ['mu-distinct-email', `SELECT DISTINCT email FROM hr.employees ORDER BY 1 NULLS LAST`],
    ['mu-count-distinct', `SELECT count(DISTINCT email) FROM hr.employees`],
    ['mu-order-by-email', `SELECT id FROM hr.employees ORDER BY email, id`],
    ['mu-order-by-salary', `SELECT id FROM hr.employees ORDER BY salary, id`],
    ['mu-window-partition', `SELECT id, count(*) OVER (PARTITION BY email) FROM hr.employees ORDER BY id`],
    ['mu-self-join-email', `SELECT a.id, b.id FROM hr.employees a JOIN hr.employees b ON a.email = b.email AND a.id < b.id ORDER BY 1, 2`],
    ['mu-length', `SELECT id, length(email) FROM hr.employees ORDER BY id`],
    ['mu-split-domain', `SELECT split_part(email, '@', 2), count(*) FROM hr.employees GROUP BY 1 ORDER BY 1 NULLS LAST`],
    ['mu-max-min', `SELECT max(email), min(email), max(salary) FROM hr.employees`],
    ['mu-case', `SELECT id, CASE WHEN email IS NULL THEN 'none' ELSE 'some' END FROM hr.employees ORDER BY id`],
    ['mu-sum-salary', `SELECT sum(salary), avg(salary), count(salary) FROM hr.employees`],
    ['mu-having-email', `SELECT dept_id FROM hr.employees GROUP BY dept_id HAVING count(email) > 1 ORDER BY 1`],
    ['mu-in-subquery', `SELECT count(*) FROM hr.employees WHERE email IN (SELECT email FROM hr.employees WHERE id = 3)`],
    ['mu-union-dedupe', `SELECT email FROM hr.employees WHERE id = 3 UNION SELECT email FROM hr.employees WHERE id = 4`],
    ['mu-intersect', `SELECT email FROM hr.employees INTERSECT SELECT 'z***@corp.example'`],
    ['mu-cast-error-free', `SELECT id, email::varchar(40) FROM hr.employees ORDER BY id`],
    ['mu-md5', `SELECT md5(email) FROM hr.employees WHERE id = 3`],
    ['mu-param', `SELECT id FROM hr.employees WHERE email = $1 ORDER BY id`, ['z***@corp.example']],
    ['mu-json-filter', `SELECT count(*) FROM hr.employees e WHERE to_jsonb(e) ->> 'email' LIKE 'z***%'`],
    ['mu-whole-row-json', `SELECT to_jsonb(e) FROM hr.employees e ORDER BY e.id`],
    ['mu-whole-row-text', `SELECT e::text FROM hr.employees e ORDER BY e.id`],
  ]),
  {
    id: 'mu-whole-row-attr',
    cls: 'masked-used',
    sql: 'SELECT e.to_jsonb FROM hr.employees e ORDER BY e.id',
    expect: 'model',
    // e.to_jsonb over model.employees is the same function on the masked row.
  },

  ...benignGroup('hash-masked', 'model', [
    ['h-count-distinct-phone', `SELECT count(DISTINCT phone) FROM hr.contacts`],
    ['h-group-by-phone-counts', `SELECT count(*) AS n FROM hr.contacts GROUP BY phone ORDER BY n`],
    ['h-self-join-phone', `SELECT a.id, b.id FROM hr.contacts a JOIN hr.contacts b ON a.phone = b.phone AND a.id < b.id ORDER BY 1, 2`],
    ['h-not-null', `SELECT count(*) FROM hr.contacts WHERE phone IS NOT NULL`],
    ['h-city', `SELECT city, count(*) FROM hr.contacts GROUP BY city ORDER BY city`],
  ]),
  ...benignGroup('hash-masked', 'succeeds', [
    ['h-select-phone', `SELECT id, phone FROM hr.contacts ORDER BY id`],
    ['h-star', `SELECT * FROM hr.contacts ORDER BY id`],
    ['h-derived', `SELECT p FROM (SELECT phone AS p FROM hr.contacts) s`],
    ['h-distinct', `SELECT DISTINCT phone FROM hr.contacts`],
    ['h-join-employee', `SELECT e.name, c.phone FROM hr.employees e JOIN hr.contacts c ON c.employee_id = e.id ORDER BY e.id`],
  ]),

  ...benignGroup('named-objects', 'model', [
    ['n-headcount-view', `SELECT secrets FROM reports.headcount`],
    ['n-directory-names', `SELECT name FROM reports.directory WHERE id < 3 ORDER BY id`],
    ['n-configured-function', `SELECT id, public.net_price(amount) FROM public.orders ORDER BY id`],
    ['n-builtin-lower', `SELECT lower(name) FROM hr.departments ORDER BY id`],
    ['n-builtin-abs', `SELECT abs(-5), abs(-2.5)`],
    ['n-builtin-concat', `SELECT 'a' || 'b', name || '!' FROM hr.departments ORDER BY id`],
  ]),
];

/**
 * Attacks that leak on main at 5fbd537 (measured by the runner). The runner marks them
 * `it.fails`: when a change stops the leak, that test goes red until its id is removed
 * here. An id with `@pglite` or `@postgres` applies to that engine only.
 */
export const KNOWN_LEAKS: ReadonlySet<string> = new Set<string>([
]);

/**
 * Benign cases main fails at 5fbd537. Same rule: `it.fails` until fixed, then the id must
 * be removed. Most are refused (UNION touching hr.employees, `*` over a table with a
 * denied column, a masked column in an expression, filter, grouping or join); six answer
 * with real values instead of masked ones, which are leaks as much as failures:
 * ms-scalar-subquery, ms-array, ms-to-jsonb-derived and mu-whole-row-attr show real
 * emails, salaries or ssn; mu-group-by-position and mu-distinct-email return two groups
 * where the masked model has one.
 */
export const KNOWN_FALSE_POSITIVES: ReadonlySet<string> = new Set<string>([
  // Column security by construction: a protected table is read through a subquery, and
  // PostgreSQL knows a primary key's functional dependency only on a table, so
  // `GROUP BY e.id` no longer covers e.name (42803). Group by the columns you select.
  'a-group-by-pk',
]);
