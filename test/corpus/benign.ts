/**
 * Benign corpus: real analytics SQL over the demo schema that a read-only
 * gateway must accept untouched (tool: query).
 *
 * Plain data, no imports. Every case is a single read-only statement that runs
 * without error inside BEGIN READ ONLY on PostgreSQL 15 and on PGlite, using
 * only ordinary side-effect-free built-ins, and is fast on the demo data.
 * The cases avoid hr.employees.ssn, .salary and .email and hr.api_credentials
 * so that they stay valid under roles that deny or mask those.
 * Several cases carry attack-looking text in comments, string literals,
 * dollar quotes and quoted identifiers: a policy must look at the parse tree,
 * not at the text.
 */
export interface BenignCase { name: string; sql: string; params?: unknown[] }

export const benign: readonly BenignCase[] = [
  // ---------------------------------------------------------------------------
  // Plain selects and filters
  // ---------------------------------------------------------------------------
  { name: 'count customers', sql: 'SELECT count(*) FROM shop.customers' },
  { name: 'first ten orders', sql: 'SELECT id, customer_id, status, ordered_at, total FROM shop.orders ORDER BY id LIMIT 10' },
  { name: 'select star with limit and offset', sql: 'SELECT * FROM shop.products ORDER BY id LIMIT 5 OFFSET 10' },
  { name: 'fetch first rows only', sql: 'SELECT id, name FROM shop.products ORDER BY price DESC FETCH FIRST 3 ROWS ONLY' },
  { name: 'fetch first with ties', sql: 'SELECT id, category, price FROM shop.products ORDER BY category FETCH FIRST 5 ROWS WITH TIES' },
  { name: 'where with and or', sql: "SELECT id, total FROM shop.orders WHERE (status = 'paid' OR status = 'shipped') AND total > 300 ORDER BY total DESC LIMIT 20" },
  { name: 'between on numeric', sql: 'SELECT id, name, price FROM shop.products WHERE price BETWEEN 50 AND 60 ORDER BY price' },
  { name: 'like and ilike', sql: "SELECT id, name FROM shop.customers WHERE name LIKE 'Ada %' OR name ILIKE '%hopper%' ORDER BY id LIMIT 25" },
  { name: 'not in list', sql: "SELECT count(*) FROM shop.orders WHERE status NOT IN ('cancelled', 'refunded')" },
  { name: 'is null and is not null', sql: 'SELECT count(*) FILTER (WHERE manager_id IS NULL) AS top, count(*) FILTER (WHERE manager_id IS NOT NULL) AS reports FROM hr.employees' },
  { name: 'is distinct from', sql: "SELECT count(*) FROM shop.customers WHERE country IS DISTINCT FROM 'DE'" },
  { name: 'order by nulls last', sql: 'SELECT id, name, manager_id FROM hr.employees ORDER BY manager_id NULLS FIRST, id' },
  { name: 'select distinct', sql: 'SELECT DISTINCT country FROM shop.customers ORDER BY country' },
  { name: 'select without from', sql: "SELECT 1 AS one, 'two' AS two, 3.0 AS three" },
  { name: 'order by column position', sql: 'SELECT category, count(*) FROM shop.products GROUP BY 1 ORDER BY 2 DESC, 1' },
  { name: 'similar to', sql: "SELECT sku FROM shop.products WHERE sku SIMILAR TO 'SKU-0001[0-9]' ORDER BY sku" },
  { name: 'regex match operator', sql: "SELECT id, email FROM shop.customers WHERE email ~ '^customer4[0-9]@' ORDER BY id" },

  // ---------------------------------------------------------------------------
  // Aggregates and GROUP BY
  // ---------------------------------------------------------------------------
  { name: 'revenue by status', sql: 'SELECT status, count(*) AS orders, sum(total) AS revenue FROM shop.orders GROUP BY status ORDER BY revenue DESC' },
  { name: 'average order value', sql: 'SELECT round(avg(total), 2) AS aov, min(total), max(total) FROM shop.orders' },
  { name: 'customers per country having', sql: 'SELECT country, count(*) AS n FROM shop.customers GROUP BY country HAVING count(*) >= 50 ORDER BY n DESC, country' },
  { name: 'products per category with stock', sql: 'SELECT category, count(*) AS products, sum(stock) AS units, avg(price)::numeric(10,2) AS avg_price FROM shop.products GROUP BY category ORDER BY category' },
  { name: 'count distinct', sql: 'SELECT count(DISTINCT customer_id) AS buyers, count(*) AS orders FROM shop.orders' },
  { name: 'bool_and bool_or every', sql: 'SELECT category, bool_and(stock > 0) AS all_in_stock, bool_or(price > 150) AS any_premium, every(price > 1) AS all_priced FROM shop.products GROUP BY category ORDER BY category' },
  { name: 'stddev and variance', sql: 'SELECT category, round(stddev_samp(price), 2) AS sd, round(var_pop(price), 2) AS var FROM shop.products GROUP BY category ORDER BY category' },
  { name: 'percentile_cont within group', sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median, percentile_cont(ARRAY[0.25, 0.75]) WITHIN GROUP (ORDER BY total) AS quartiles FROM shop.orders' },
  { name: 'percentile_disc and mode', sql: 'SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY quantity) AS p90, mode() WITHIN GROUP (ORDER BY product_id) AS top_product FROM shop.order_items' },
  { name: 'median per status', sql: 'SELECT status, percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median_total FROM shop.orders GROUP BY status ORDER BY status' },
  { name: 'group by expression', sql: "SELECT split_part(name, ' ', 1) AS first_name, count(*) FROM shop.customers GROUP BY split_part(name, ' ', 1) ORDER BY 2 DESC, 1" },
  { name: 'units sold per product top ten', sql: 'SELECT p.name, sum(oi.quantity) AS units FROM shop.order_items oi JOIN shop.products p ON p.id = oi.product_id GROUP BY p.name ORDER BY units DESC, p.name LIMIT 10' },
  { name: 'sum of line totals equals order totals', sql: 'SELECT sum(oi.quantity * oi.unit_price) AS lines, (SELECT sum(total) FROM shop.orders) AS orders FROM shop.order_items oi' },
  { name: 'aggregate with order by inside', sql: "SELECT country, string_agg(name, ', ' ORDER BY id) AS first_names FROM (SELECT * FROM shop.customers WHERE id <= 20) c GROUP BY country ORDER BY country" },
  { name: 'direct reports per manager', sql: 'SELECT manager_id, count(*) AS reports FROM hr.employees WHERE manager_id IS NOT NULL GROUP BY manager_id ORDER BY manager_id' },
  { name: 'titles with counts', sql: 'SELECT title, count(*) FROM hr.employees GROUP BY title ORDER BY title' },

  // ---------------------------------------------------------------------------
  // Joins
  // ---------------------------------------------------------------------------
  { name: 'inner join orders customers', sql: 'SELECT o.id, c.name, o.total FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id ORDER BY o.id LIMIT 20' },
  { name: 'left join customers without orders', sql: 'SELECT c.id, c.name FROM shop.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id WHERE o.id IS NULL ORDER BY c.id' },
  { name: 'three way join', sql: 'SELECT c.country, p.category, sum(oi.quantity * oi.unit_price) AS revenue FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id JOIN shop.order_items oi ON oi.order_id = o.id JOIN shop.products p ON p.id = oi.product_id GROUP BY c.country, p.category ORDER BY c.country, p.category' },
  { name: 'join using', sql: 'SELECT order_id, count(*) FROM shop.order_items JOIN (SELECT id AS order_id FROM shop.orders WHERE status = $$paid$$) paid USING (order_id) GROUP BY order_id ORDER BY order_id LIMIT 10' },
  { name: 'self join employee and manager', sql: 'SELECT e.name AS employee, m.name AS manager FROM hr.employees e LEFT JOIN hr.employees m ON m.id = e.manager_id ORDER BY e.id' },
  { name: 'full outer join', sql: "SELECT coalesce(a.country, b.country) AS country, a.n AS customers, b.n AS buyers FROM (SELECT country, count(*) n FROM shop.customers GROUP BY country) a FULL JOIN (SELECT c.country, count(DISTINCT o.customer_id) n FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id WHERE o.status = 'refunded' GROUP BY c.country) b ON a.country = b.country ORDER BY 1" },
  { name: 'cross join small sets', sql: "SELECT s.status, c.category FROM (VALUES ('paid'), ('shipped')) s(status) CROSS JOIN (SELECT DISTINCT category FROM shop.products) c ORDER BY 1, 2" },
  { name: 'natural join on derived tables', sql: 'SELECT * FROM (SELECT id, name FROM shop.products WHERE id < 5) a NATURAL JOIN (SELECT id, sku FROM shop.products WHERE id < 5) b ORDER BY id' },
  { name: 'join with inequality condition', sql: 'SELECT a.id, b.id AS cheaper_id FROM shop.products a JOIN shop.products b ON b.category = a.category AND b.price < a.price WHERE a.id = 7 ORDER BY b.id' },
  { name: 'anti join with not exists', sql: 'SELECT p.id, p.name FROM shop.products p WHERE NOT EXISTS (SELECT 1 FROM shop.order_items oi WHERE oi.product_id = p.id) ORDER BY p.id' },
  { name: 'semi join with exists', sql: "SELECT count(*) FROM shop.customers c WHERE EXISTS (SELECT 1 FROM shop.orders o WHERE o.customer_id = c.id AND o.status = 'refunded')" },
  { name: 'join on date range', sql: "SELECT c.id, count(o.id) AS first_month_orders FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id AND o.ordered_at < c.created_at + interval '30 days' GROUP BY c.id ORDER BY c.id LIMIT 10" },

  // ---------------------------------------------------------------------------
  // CTEs
  // ---------------------------------------------------------------------------
  { name: 'simple cte', sql: "WITH paid AS (SELECT * FROM shop.orders WHERE status = 'paid') SELECT count(*), sum(total) FROM paid" },
  { name: 'chained ctes', sql: 'WITH per_customer AS (SELECT customer_id, sum(total) AS spent FROM shop.orders GROUP BY customer_id), ranked AS (SELECT customer_id, spent, rank() OVER (ORDER BY spent DESC) AS r FROM per_customer) SELECT c.name, r.spent FROM ranked r JOIN shop.customers c ON c.id = r.customer_id WHERE r.r <= 5 ORDER BY r.r, c.name' },
  { name: 'cte materialized hint', sql: 'WITH t AS MATERIALIZED (SELECT category, avg(price) AS ap FROM shop.products GROUP BY category) SELECT * FROM t ORDER BY ap DESC' },
  { name: 'cte not materialized hint', sql: 'WITH t AS NOT MATERIALIZED (SELECT id, total FROM shop.orders) SELECT max(total) FROM t WHERE id BETWEEN 100 AND 200' },
  { name: 'recursive org chart', sql: `WITH RECURSIVE chain AS (
  SELECT id, name, manager_id, 1 AS depth, ARRAY[id] AS path
  FROM hr.employees WHERE manager_id IS NULL
  UNION ALL
  SELECT e.id, e.name, e.manager_id, c.depth + 1, c.path || e.id
  FROM hr.employees e JOIN chain c ON e.manager_id = c.id
)
SELECT id, name, depth, path FROM chain ORDER BY path` },
  { name: 'recursive reports under one manager', sql: 'WITH RECURSIVE sub AS (SELECT id FROM hr.employees WHERE id = 2 UNION ALL SELECT e.id FROM hr.employees e JOIN sub s ON e.manager_id = s.id) SELECT count(*) - 1 AS indirect_reports FROM sub' },
  { name: 'recursive management chain upwards', sql: 'WITH RECURSIVE up AS (SELECT id, manager_id, name FROM hr.employees WHERE id = 40 UNION ALL SELECT e.id, e.manager_id, e.name FROM hr.employees e JOIN up ON e.id = up.manager_id) SELECT string_agg(name, \' <- \') AS chain FROM up' },
  { name: 'recursive depth max', sql: 'WITH RECURSIVE t(id, lvl) AS (SELECT id, 0 FROM hr.employees WHERE manager_id IS NULL UNION ALL SELECT e.id, t.lvl + 1 FROM hr.employees e JOIN t ON e.manager_id = t.id) SELECT lvl, count(*) FROM t GROUP BY lvl ORDER BY lvl' },
  { name: 'recursive number series', sql: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) SELECT i, i * i AS sq FROM n' },
  { name: 'recursive with search depth first', sql: 'WITH RECURSIVE tree AS (SELECT id, manager_id FROM hr.employees WHERE manager_id IS NULL UNION ALL SELECT e.id, e.manager_id FROM hr.employees e JOIN tree t ON e.manager_id = t.id) SEARCH DEPTH FIRST BY id SET ord SELECT id, manager_id FROM tree ORDER BY ord' },
  { name: 'recursive with cycle clause', sql: 'WITH RECURSIVE tree AS (SELECT id, manager_id FROM hr.employees WHERE manager_id IS NULL UNION ALL SELECT e.id, e.manager_id FROM hr.employees e JOIN tree t ON e.manager_id = t.id) CYCLE id SET is_cycle USING route SELECT count(*) FROM tree WHERE NOT is_cycle' },
  { name: 'cte used twice', sql: "WITH m AS (SELECT date_trunc('month', ordered_at) AS mon, sum(total) AS rev FROM shop.orders GROUP BY 1) SELECT a.mon, a.rev, b.rev AS prev FROM m a LEFT JOIN m b ON b.mon = a.mon - interval '1 month' ORDER BY a.mon" },
  { name: 'cte with column list', sql: 'WITH totals(cat, n) AS (SELECT category, count(*) FROM shop.products GROUP BY category) SELECT cat, n FROM totals ORDER BY n DESC, cat' },
  { name: 'cte named like a keyword', sql: `WITH "delete" AS (SELECT id FROM shop.orders WHERE status = 'cancelled') SELECT count(*) FROM "delete"` },
  { name: 'nested cte in subquery', sql: 'SELECT * FROM (WITH x AS (SELECT country, count(*) AS n FROM shop.customers GROUP BY country) SELECT * FROM x WHERE n > 40) s ORDER BY country' },

  // ---------------------------------------------------------------------------
  // Window functions
  // ---------------------------------------------------------------------------
  { name: 'rank products by price in category', sql: 'SELECT category, name, price, rank() OVER (PARTITION BY category ORDER BY price DESC) AS r FROM shop.products ORDER BY category, r, name' },
  { name: 'dense_rank customers by spend', sql: 'SELECT customer_id, sum(total) AS spent, dense_rank() OVER (ORDER BY sum(total) DESC) AS dr FROM shop.orders GROUP BY customer_id ORDER BY dr, customer_id LIMIT 15' },
  { name: 'row_number latest order per customer', sql: 'SELECT * FROM (SELECT o.*, row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at DESC) AS rn FROM shop.orders o) t WHERE rn = 1 ORDER BY customer_id LIMIT 20' },
  { name: 'lag between orders', sql: 'SELECT customer_id, id, ordered_at, ordered_at - lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at) AS gap FROM shop.orders WHERE customer_id <= 5 ORDER BY customer_id, ordered_at' },
  { name: 'lead next order total', sql: 'SELECT id, total, lead(total, 1, 0) OVER (ORDER BY id) AS next_total FROM shop.orders WHERE id <= 30 ORDER BY id' },
  { name: 'ntile quartiles of order totals', sql: 'SELECT q, count(*), min(total), max(total) FROM (SELECT total, ntile(4) OVER (ORDER BY total) AS q FROM shop.orders) t GROUP BY q ORDER BY q' },
  { name: 'running total by day', sql: "SELECT day, revenue, sum(revenue) OVER (ORDER BY day) AS running FROM (SELECT date_trunc('day', ordered_at) AS day, sum(total) AS revenue FROM shop.orders GROUP BY 1) d ORDER BY day LIMIT 60" },
  { name: 'sum over partition share of category', sql: 'SELECT category, name, price, round(100 * price / sum(price) OVER (PARTITION BY category), 2) AS pct FROM shop.products ORDER BY category, pct DESC LIMIT 40' },
  { name: 'moving average rows frame', sql: 'SELECT id, total, avg(total) OVER (ORDER BY id ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS ma7 FROM shop.orders WHERE id <= 100 ORDER BY id' },
  { name: 'range frame with interval', sql: "SELECT id, ordered_at, count(*) OVER (ORDER BY ordered_at RANGE BETWEEN interval '1 day' PRECEDING AND CURRENT ROW) AS last_24h FROM shop.orders WHERE id <= 200 ORDER BY id" },
  { name: 'groups frame', sql: 'SELECT product_id, quantity, sum(quantity) OVER (ORDER BY product_id GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s FROM shop.order_items WHERE order_id <= 20 ORDER BY product_id, quantity' },
  { name: 'frame exclude current row', sql: 'SELECT id, price, avg(price) OVER (PARTITION BY category ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) AS avg_others FROM shop.products ORDER BY id LIMIT 20' },
  { name: 'first_value last_value nth_value', sql: 'SELECT DISTINCT category, first_value(name) OVER w AS cheapest, last_value(name) OVER w AS dearest, nth_value(name, 2) OVER w AS second FROM shop.products WINDOW w AS (PARTITION BY category ORDER BY price, id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) ORDER BY category' },
  { name: 'percent_rank and cume_dist', sql: 'SELECT id, total, percent_rank() OVER (ORDER BY total) AS pr, cume_dist() OVER (ORDER BY total) AS cd FROM shop.orders WHERE customer_id = 31 ORDER BY total' },
  { name: 'named window reused', sql: 'SELECT id, category, price, min(price) OVER w, max(price) OVER w, count(*) OVER w FROM shop.products WINDOW w AS (PARTITION BY category) ORDER BY id LIMIT 15' },
  { name: 'window over aggregate', sql: "SELECT date_trunc('month', ordered_at) AS mon, sum(total) AS rev, sum(total) - lag(sum(total)) OVER (ORDER BY date_trunc('month', ordered_at)) AS delta FROM shop.orders GROUP BY 1 ORDER BY 1" },
  { name: 'window with filter clause', sql: "SELECT id, status, count(*) FILTER (WHERE status = 'cancelled') OVER (ORDER BY id ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS recent_cancellations FROM shop.orders WHERE id <= 50 ORDER BY id" },
  { name: 'row_number per title for employees', sql: 'SELECT title, name, hired_on, row_number() OVER (PARTITION BY title ORDER BY hired_on) AS seniority FROM hr.employees ORDER BY title, seniority' },
  { name: 'tenure rank of employees', sql: "SELECT name, hired_on, rank() OVER (ORDER BY hired_on) AS by_tenure, extract(year FROM age(date '2025-01-01', hired_on)) AS years FROM hr.employees ORDER BY by_tenure" },
  { name: 'top three products per category', sql: 'SELECT category, name, price FROM (SELECT p.*, row_number() OVER (PARTITION BY category ORDER BY price DESC, id) AS rn FROM shop.products p) t WHERE rn <= 3 ORDER BY category, rn' },
  { name: 'gaps and islands of order days', sql: "WITH d AS (SELECT DISTINCT ordered_at::date AS day FROM shop.orders WHERE customer_id = 62) SELECT min(day), max(day), count(*) FROM (SELECT day, day - (row_number() OVER (ORDER BY day))::int AS grp FROM d) t GROUP BY grp ORDER BY 1" },
  { name: 'cumulative share pareto', sql: 'SELECT customer_id, spent, round(sum(spent) OVER (ORDER BY spent DESC, customer_id) / sum(spent) OVER (), 4) AS cum_share FROM (SELECT customer_id, sum(total) AS spent FROM shop.orders GROUP BY customer_id) s ORDER BY spent DESC, customer_id LIMIT 25' },
  { name: 'lag with default and offset two', sql: 'SELECT id, stock, lag(stock, 2, -1) OVER (ORDER BY id) AS two_back FROM shop.products ORDER BY id LIMIT 10' },
  { name: 'count over empty window', sql: 'SELECT id, name, count(*) OVER () AS total_rows FROM shop.products ORDER BY id LIMIT 5' },

  // ---------------------------------------------------------------------------
  // LATERAL
  // ---------------------------------------------------------------------------
  { name: 'lateral last three orders per customer', sql: 'SELECT c.id, c.name, o.id AS order_id, o.total FROM shop.customers c CROSS JOIN LATERAL (SELECT id, total FROM shop.orders WHERE customer_id = c.id ORDER BY ordered_at DESC LIMIT 3) o WHERE c.id <= 10 ORDER BY c.id, o.id' },
  { name: 'left join lateral with on true', sql: 'SELECT c.id, x.n FROM shop.customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM shop.orders o WHERE o.customer_id = c.id) x ON true ORDER BY c.id LIMIT 20' },
  { name: 'lateral unnest of array', sql: "SELECT c.id, t.tag FROM shop.customers c, LATERAL unnest(ARRAY[c.country, split_part(c.name, ' ', 2)]) AS t(tag) WHERE c.id <= 3 ORDER BY c.id, t.tag" },
  { name: 'lateral generate_series', sql: 'SELECT p.id, g.n FROM shop.products p CROSS JOIN LATERAL generate_series(1, least(p.stock, 3)) AS g(n) WHERE p.id <= 4 ORDER BY p.id, g.n' },
  { name: 'lateral top item per order', sql: 'SELECT o.id, i.product_id, i.quantity FROM shop.orders o JOIN LATERAL (SELECT * FROM shop.order_items oi WHERE oi.order_id = o.id ORDER BY oi.quantity DESC, oi.product_id LIMIT 1) i ON true WHERE o.id <= 15 ORDER BY o.id' },
  { name: 'lateral computed columns', sql: 'SELECT p.id, calc.gross, calc.tax FROM shop.products p, LATERAL (SELECT p.price * 1.19 AS gross, p.price * 0.19 AS tax) calc ORDER BY p.id LIMIT 10' },
  { name: 'lateral values unpivot', sql: "SELECT s.status, v.metric, v.value FROM (SELECT status, count(*) AS n, sum(total) AS rev FROM shop.orders GROUP BY status) s CROSS JOIN LATERAL (VALUES ('orders', s.n::numeric), ('revenue', s.rev)) v(metric, value) ORDER BY s.status, v.metric" },
  { name: 'lateral jsonb_each over attributes', sql: 'SELECT p.id, kv.key, kv.value FROM shop.products p, LATERAL jsonb_each(p.attributes) kv WHERE p.id <= 3 ORDER BY p.id, kv.key' },

  // ---------------------------------------------------------------------------
  // JSON and JSONB
  // ---------------------------------------------------------------------------
  { name: 'jsonb arrow text extraction', sql: "SELECT id, attributes->>'color' AS color, (attributes->>'weight_g')::int AS weight FROM shop.products ORDER BY id LIMIT 10" },
  { name: 'jsonb containment', sql: `SELECT count(*) FROM shop.products WHERE attributes @> '{"color": "red"}'` },
  { name: 'jsonb key exists', sql: "SELECT count(*) FROM shop.products WHERE attributes ? 'weight_g'" },
  { name: 'jsonb group by color', sql: "SELECT attributes->>'color' AS color, count(*), avg((attributes->>'weight_g')::int)::int AS avg_weight FROM shop.products GROUP BY 1 ORDER BY 1" },
  { name: 'jsonb_build_object per order', sql: "SELECT jsonb_build_object('id', id, 'status', status, 'total', total) AS doc FROM shop.orders ORDER BY id LIMIT 5" },
  { name: 'jsonb_agg of order lines', sql: "SELECT o.id, jsonb_agg(jsonb_build_object('product', oi.product_id, 'qty', oi.quantity) ORDER BY oi.product_id) AS lines FROM shop.orders o JOIN shop.order_items oi ON oi.order_id = o.id WHERE o.id <= 5 GROUP BY o.id ORDER BY o.id" },
  { name: 'json_agg of customers', sql: 'SELECT country, json_agg(json_build_object(\'id\', id, \'name\', name) ORDER BY id) FROM shop.customers WHERE id <= 12 GROUP BY country ORDER BY country' },
  { name: 'jsonb_array_elements in from', sql: `SELECT e->>'sku' AS sku, (e->>'qty')::int AS qty FROM jsonb_array_elements('[{"sku": "SKU-00001", "qty": 2}, {"sku": "SKU-00002", "qty": 5}]'::jsonb) AS e` },
  { name: 'jsonb_array_elements joined to products', sql: `SELECT p.name, x.qty FROM jsonb_array_elements('[{"id": 3, "qty": 1}, {"id": 9, "qty": 4}]') AS j(e) CROSS JOIN LATERAL (SELECT (j.e->>'id')::int AS id, (j.e->>'qty')::int AS qty) x JOIN shop.products p ON p.id = x.id ORDER BY p.id` },
  { name: 'jsonb_object_agg', sql: 'SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM shop.orders GROUP BY status) s' },
  { name: 'jsonb path operator and set', sql: `SELECT '{"a": {"b": [10, 20, 30]}}'::jsonb #> '{a,b,1}' AS second, jsonb_set('{"a": 1}'::jsonb, '{b}', '2') AS added` },
  { name: 'jsonb_path_query_first', sql: "SELECT id, jsonb_path_query_first(attributes, '$.weight_g') AS w FROM shop.products WHERE jsonb_path_exists(attributes, '$ ? (@.weight_g > 900)') ORDER BY id" },
  { name: 'row_to_json of a row', sql: 'SELECT row_to_json(c) FROM (SELECT id, name, country FROM shop.customers WHERE id = 1) c' },
  { name: 'to_jsonb and jsonb_pretty', sql: "SELECT jsonb_pretty(to_jsonb(p) - 'attributes') FROM shop.products p WHERE id = 1" },
  { name: 'jsonb_typeof and jsonb_strip_nulls', sql: `SELECT jsonb_typeof(attributes->'weight_g') AS t, jsonb_strip_nulls('{"a": null, "b": 1}') AS s FROM shop.products WHERE id = 2` },
  { name: 'json_each_text over a literal', sql: `SELECT key, value FROM json_each_text('{"paid": "1", "shipped": "2"}') ORDER BY key` },

  // ---------------------------------------------------------------------------
  // GROUPING SETS, ROLLUP, CUBE
  // ---------------------------------------------------------------------------
  { name: 'rollup country status', sql: 'SELECT c.country, o.status, count(*), sum(o.total) FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id GROUP BY ROLLUP (c.country, o.status) ORDER BY c.country NULLS LAST, o.status NULLS LAST' },
  { name: 'cube category color', sql: "SELECT category, attributes->>'color' AS color, count(*) FROM shop.products GROUP BY CUBE (category, attributes->>'color') ORDER BY 1 NULLS LAST, 2 NULLS LAST" },
  { name: 'grouping sets with grouping function', sql: "SELECT status, date_trunc('quarter', ordered_at) AS q, grouping(status, date_trunc('quarter', ordered_at)) AS g, count(*) FROM shop.orders GROUP BY GROUPING SETS ((status), (date_trunc('quarter', ordered_at)), ()) ORDER BY g, status, q" },
  { name: 'rollup with subtotal labels', sql: "SELECT coalesce(category, 'ALL') AS category, sum(stock) FROM shop.products GROUP BY ROLLUP (category) ORDER BY grouping(category), category" },
  { name: 'grouping sets by title and manager', sql: 'SELECT title, manager_id, count(*) FROM hr.employees GROUP BY GROUPING SETS ((title), (manager_id)) ORDER BY title NULLS LAST, manager_id NULLS LAST' },
  { name: 'group by distinct rollup', sql: 'SELECT status, customer_id % 3 AS bucket, count(*) FROM shop.orders GROUP BY DISTINCT ROLLUP (status, customer_id % 3), ROLLUP (status) ORDER BY 1 NULLS LAST, 2 NULLS LAST' },

  // ---------------------------------------------------------------------------
  // FILTER and DISTINCT ON
  // ---------------------------------------------------------------------------
  { name: 'count star filter pivot', sql: "SELECT date_trunc('month', ordered_at) AS mon, count(*) FILTER (WHERE status = 'paid') AS paid, count(*) FILTER (WHERE status = 'shipped') AS shipped, count(*) FILTER (WHERE status IN ('cancelled', 'refunded')) AS lost FROM shop.orders GROUP BY 1 ORDER BY 1" },
  { name: 'sum filter revenue split', sql: "SELECT c.country, sum(o.total) FILTER (WHERE o.status <> 'refunded') AS kept, sum(o.total) FILTER (WHERE o.status = 'refunded') AS refunded FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id GROUP BY c.country ORDER BY c.country" },
  { name: 'array_agg filter', sql: "SELECT category, array_agg(id ORDER BY id) FILTER (WHERE stock < 20) AS low_stock FROM shop.products GROUP BY category ORDER BY category" },
  { name: 'distinct on latest order per customer', sql: 'SELECT DISTINCT ON (customer_id) customer_id, id, ordered_at, total FROM shop.orders ORDER BY customer_id, ordered_at DESC LIMIT 25' },
  { name: 'distinct on cheapest product per category', sql: 'SELECT DISTINCT ON (category) category, name, price FROM shop.products ORDER BY category, price, id' },
  { name: 'distinct on first hire per title', sql: 'SELECT DISTINCT ON (title) title, name, hired_on FROM hr.employees ORDER BY title, hired_on' },

  // ---------------------------------------------------------------------------
  // Set operations
  // ---------------------------------------------------------------------------
  { name: 'union of customer countries and employee titles', sql: 'SELECT country AS label FROM shop.customers UNION SELECT title FROM hr.employees ORDER BY 1' },
  { name: 'union all with labels', sql: "SELECT 'customers' AS what, count(*) FROM shop.customers UNION ALL SELECT 'products', count(*) FROM shop.products UNION ALL SELECT 'orders', count(*) FROM shop.orders" },
  { name: 'intersect buyers of two categories', sql: "SELECT o.customer_id FROM shop.orders o JOIN shop.order_items oi ON oi.order_id = o.id JOIN shop.products p ON p.id = oi.product_id WHERE p.category = 'kitchen' INTERSECT SELECT o.customer_id FROM shop.orders o JOIN shop.order_items oi ON oi.order_id = o.id JOIN shop.products p ON p.id = oi.product_id WHERE p.category = 'office' ORDER BY 1 LIMIT 20" },
  { name: 'except customers who never refunded', sql: "SELECT customer_id FROM shop.orders EXCEPT SELECT customer_id FROM shop.orders WHERE status = 'refunded' ORDER BY 1 LIMIT 20" },
  { name: 'intersect all and except all', sql: 'SELECT x FROM (VALUES (1), (1), (2), (3)) a(x) INTERSECT ALL SELECT y FROM (VALUES (1), (1), (3)) b(y) EXCEPT ALL SELECT 3 ORDER BY 1' },
  { name: 'parenthesised set operation with limit', sql: '(SELECT id, total FROM shop.orders ORDER BY total DESC LIMIT 3) UNION ALL (SELECT id, total FROM shop.orders ORDER BY total ASC LIMIT 3) ORDER BY total' },

  // ---------------------------------------------------------------------------
  // VALUES, TABLE, generate_series
  // ---------------------------------------------------------------------------
  { name: 'values list standalone', sql: "VALUES (1, 'one'), (2, 'two'), (3, 'three')" },
  { name: 'values list joined as lookup', sql: "SELECT o.status, v.label, count(*) FROM shop.orders o JOIN (VALUES ('paid', 'Paid'), ('shipped', 'On its way'), ('pending', 'Waiting')) AS v(status, label) ON v.status = o.status GROUP BY o.status, v.label ORDER BY o.status" },
  { name: 'values with order by and limit', sql: 'VALUES (3, 30), (1, 10), (2, 20) ORDER BY 1 LIMIT 2' },
  { name: 'table command', sql: 'TABLE shop.products' },
  { name: 'table command with order and limit', sql: 'TABLE shop.products ORDER BY price DESC LIMIT 5' },
  { name: 'generate_series of days in from', sql: "SELECT d::date AS day FROM generate_series(timestamptz '2024-03-01', timestamptz '2024-03-10', interval '1 day') AS d" },
  { name: 'generate_series calendar with left join', sql: "SELECT d::date AS day, count(o.id) AS orders FROM generate_series(timestamp '2024-02-01', timestamp '2024-02-14', interval '1 day') AS d LEFT JOIN shop.orders o ON o.ordered_at::date = d::date GROUP BY d ORDER BY d" },
  { name: 'generate_series integers with ordinality', sql: 'SELECT n, ord FROM generate_series(10, 50, 10) WITH ORDINALITY AS g(n, ord)' },
  { name: 'generate_series months for cohorts', sql: "SELECT m::date AS month, (SELECT count(*) FROM shop.customers c WHERE c.created_at < m + interval '1 month') AS cumulative_customers FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-07-01', interval '1 month') AS m ORDER BY m" },
  { name: 'unnest multiple arrays in from', sql: "SELECT * FROM unnest(ARRAY[1, 2, 3], ARRAY['a', 'b', 'c']) AS t(n, letter)" },
  { name: 'rows from two functions', sql: 'SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY[\'x\', \'y\'])) AS r(n, s)' },

  // ---------------------------------------------------------------------------
  // Date and time
  // ---------------------------------------------------------------------------
  { name: 'date_trunc month revenue', sql: "SELECT date_trunc('month', ordered_at) AS month, count(*), sum(total) FROM shop.orders GROUP BY 1 ORDER BY 1" },
  { name: 'extract parts', sql: 'SELECT extract(year FROM ordered_at) AS y, extract(isodow FROM ordered_at) AS dow, count(*) FROM shop.orders GROUP BY 1, 2 ORDER BY 1, 2' },
  { name: 'extract hour histogram', sql: 'SELECT extract(hour FROM ordered_at AT TIME ZONE \'UTC\') AS h, count(*) FROM shop.orders GROUP BY 1 ORDER BY 1' },
  { name: 'to_char formatting', sql: "SELECT to_char(ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at, to_char(total, 'FM999G990D00') AS amount FROM shop.orders ORDER BY id LIMIT 5" },
  { name: 'to_char month names', sql: "SELECT to_char(date_trunc('month', ordered_at AT TIME ZONE 'UTC'), 'Mon YYYY') AS label, count(*) FROM shop.orders GROUP BY date_trunc('month', ordered_at AT TIME ZONE 'UTC') ORDER BY date_trunc('month', ordered_at AT TIME ZONE 'UTC')" },
  { name: 'cast to date and interval arithmetic', sql: "SELECT ordered_at::date AS day, (ordered_at + interval '14 days')::date AS due FROM shop.orders ORDER BY id LIMIT 5" },
  { name: 'age and date difference', sql: "SELECT name, hired_on, age(date '2025-01-01', hired_on) AS tenure, date '2025-01-01' - hired_on AS days FROM hr.employees ORDER BY hired_on LIMIT 10" },
  { name: 'date_part and make_date', sql: "SELECT make_date(2024, 2, 29) AS leap, date_part('doy', make_date(2024, 12, 31)) AS days_in_year" },
  { name: 'orders in a timestamp range', sql: "SELECT count(*) FROM shop.orders WHERE ordered_at >= timestamptz '2024-03-01 00:00:00+00' AND ordered_at < timestamptz '2024-04-01 00:00:00+00'" },
  { name: 'overlaps and justify', sql: "SELECT (date '2024-01-01', date '2024-02-01') OVERLAPS (date '2024-01-15', date '2024-03-01') AS overlaps, justify_interval(interval '50 hours 70 minutes') AS j" },
  { name: 'weekly cohort retention', sql: "WITH first AS (SELECT customer_id, min(date_trunc('week', ordered_at)) AS cohort FROM shop.orders GROUP BY customer_id) SELECT f.cohort, count(DISTINCT o.customer_id) AS active FROM first f JOIN shop.orders o ON o.customer_id = f.customer_id AND o.ordered_at >= f.cohort + interval '4 weeks' GROUP BY f.cohort ORDER BY f.cohort LIMIT 10" },
  { name: 'date_bin buckets', sql: "SELECT date_bin(interval '6 hours', ordered_at, timestamptz '2024-01-01 00:00:00+00') AS bucket, count(*) FROM shop.orders WHERE id <= 100 GROUP BY 1 ORDER BY 1" },
  { name: 'hire year histogram', sql: 'SELECT extract(year FROM hired_on)::int AS year, count(*) FROM hr.employees GROUP BY 1 ORDER BY 1' },

  // ---------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------
  { name: 'lower upper initcap', sql: 'SELECT lower(name), upper(country), initcap(lower(name)) FROM shop.customers ORDER BY id LIMIT 5' },
  { name: 'split_part email domain', sql: "SELECT split_part(email, '@', 2) AS domain, count(*) FROM shop.customers GROUP BY 1" },
  { name: 'regexp_replace digits', sql: "SELECT sku, regexp_replace(sku, '[0-9]', '#', 'g') AS masked FROM shop.products ORDER BY id LIMIT 5" },
  { name: 'regexp_matches and substring', sql: "SELECT name, substring(name FROM '[0-9]+$') AS num, (regexp_match(name, '^([A-Za-z]+)'))[1] AS kind FROM shop.products ORDER BY id LIMIT 8" },
  { name: 'string_agg names per country', sql: "SELECT country, string_agg(DISTINCT split_part(name, ' ', 1), ', ' ORDER BY split_part(name, ' ', 1)) AS first_names FROM shop.customers GROUP BY country ORDER BY country" },
  { name: 'format with placeholders', sql: "SELECT format('%s ordered %s item(s) for %s', c.name, count(*), to_char(sum(oi.unit_price * oi.quantity), 'FM99990.00')) FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id JOIN shop.order_items oi ON oi.order_id = o.id WHERE c.id = 7 GROUP BY c.name" },
  { name: 'format with identifier and literal specifiers', sql: "SELECT format('%I.%I = %L', 'shop', 'orders', 'it''s')" },
  { name: 'concat_ws and concat', sql: "SELECT concat_ws(' | ', id, name, country) AS line, concat(name, ' <', email, '>') AS contact FROM shop.customers ORDER BY id LIMIT 5" },
  { name: 'left right length', sql: 'SELECT left(sku, 3) AS prefix, right(sku, 5) AS num, length(name) AS len, char_length(name), octet_length(name) FROM shop.products ORDER BY id LIMIT 5' },
  { name: 'position strpos replace', sql: "SELECT email, position('@' IN email) AS at, strpos(email, 'example') AS ex, replace(email, 'example.com', 'example.org') AS moved FROM shop.customers ORDER BY id LIMIT 5" },
  { name: 'lpad rpad trim', sql: "SELECT lpad(id::text, 6, '0') AS padded, rpad(country, 4, '.') AS c, trim(both ' ' FROM '  x  ') AS t, btrim('xxhixx', 'x') AS b FROM shop.customers ORDER BY id LIMIT 3" },
  { name: 'string_to_array and array_to_string', sql: "SELECT string_to_array(name, ' ') AS parts, array_to_string(string_to_array(name, ' '), '_') AS snake FROM shop.customers ORDER BY id LIMIT 3" },
  { name: 'md5 and reverse and repeat', sql: "SELECT md5(email) AS h, reverse(sku) AS r, repeat('ab', 3) AS rep FROM shop.products p JOIN shop.customers c ON c.id = p.id ORDER BY p.id LIMIT 3" },
  { name: 'starts_with and translate', sql: "SELECT name, translate(name, 'aeiou', 'AEIOU') AS shouty FROM shop.products WHERE starts_with(name, 'Lamp') ORDER BY id LIMIT 5" },
  { name: 'regexp_split_to_table in from', sql: "SELECT word, count(*) FROM shop.products, regexp_split_to_table(name, '\\s+') AS word GROUP BY word ORDER BY count(*) DESC, word LIMIT 10" },
  { name: 'text comparison collate c', sql: 'SELECT name FROM shop.customers WHERE id <= 10 ORDER BY name COLLATE "C"' },

  // ---------------------------------------------------------------------------
  // Math
  // ---------------------------------------------------------------------------
  { name: 'round ceil floor trunc', sql: 'SELECT price, round(price), round(price, 1), ceil(price), floor(price), trunc(price) FROM shop.products ORDER BY id LIMIT 5' },
  { name: 'abs mod power sqrt', sql: 'SELECT abs(-5), mod(17, 5), 17 % 5 AS pct, power(2, 10), sqrt(144), cbrt(27.0), exp(1.0)::numeric(10,4), ln(10)::numeric(10,4)' },
  { name: 'width_bucket price histogram', sql: 'SELECT width_bucket(price, 0, 220, 11) AS bucket, count(*) FROM shop.products GROUP BY 1 ORDER BY 1' },
  { name: 'numeric division and scale', sql: "SELECT status, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct FROM shop.orders GROUP BY status ORDER BY status" },
  { name: 'greatest least', sql: 'SELECT id, greatest(stock, 10) AS at_least_ten, least(price, 100) AS capped FROM shop.products ORDER BY id LIMIT 10' },
  { name: 'integer division and div', sql: 'SELECT id / 100 AS hundred, div(id, 7) AS d, count(*) FROM shop.orders GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 10' },
  { name: 'sign and gcd lcm', sql: 'SELECT sign(-3.5), gcd(12, 18), lcm(4, 6), factorial(5)' },
  { name: 'regression aggregates', sql: 'SELECT round(corr(price, stock)::numeric, 4) AS corr, round(regr_slope(stock, price)::numeric, 4) AS slope FROM shop.products' },

  // ---------------------------------------------------------------------------
  // Casts, CASE, NULL handling
  // ---------------------------------------------------------------------------
  { name: 'cast function and double colon', sql: "SELECT CAST(total AS integer) AS whole, total::text AS t, ordered_at::date AS d, '42'::numeric AS n FROM shop.orders ORDER BY id LIMIT 5" },
  { name: 'numeric typmod cast', sql: 'SELECT avg(total)::numeric(12,2) AS avg_total, CAST(sum(total) AS numeric(14,0)) AS sum_total FROM shop.orders' },
  { name: 'searched case', sql: "SELECT id, total, CASE WHEN total >= 500 THEN 'large' WHEN total >= 200 THEN 'medium' ELSE 'small' END AS size FROM shop.orders ORDER BY id LIMIT 20" },
  { name: 'simple case', sql: "SELECT status, CASE status WHEN 'paid' THEN 1 WHEN 'shipped' THEN 2 ELSE 0 END AS code, count(*) FROM shop.orders GROUP BY status ORDER BY status" },
  { name: 'case inside aggregate', sql: "SELECT sum(CASE WHEN status = 'refunded' THEN total ELSE 0 END) AS refunded, sum(CASE WHEN status <> 'refunded' THEN total END) AS kept FROM shop.orders" },
  { name: 'coalesce and nullif', sql: "SELECT e.name, coalesce(m.name, '(none)') AS manager, nullif(e.title, 'Engineer') AS non_engineer_title FROM hr.employees e LEFT JOIN hr.employees m ON m.id = e.manager_id ORDER BY e.id LIMIT 10" },
  { name: 'nullif avoids division by zero', sql: "SELECT category, sum(stock) / nullif(count(*) FILTER (WHERE stock < 20), 0) AS ratio FROM shop.products GROUP BY category ORDER BY category" },
  { name: 'boolean expressions in select', sql: "SELECT id, stock > 0 AS in_stock, price > 100 AND stock > 50 AS premium_stocked, NOT (category = 'office') AS not_office FROM shop.products ORDER BY id LIMIT 5" },
  { name: 'row constructor comparison', sql: 'SELECT id FROM shop.order_items oi JOIN shop.orders o ON o.id = oi.order_id WHERE (oi.order_id, oi.product_id) = (1, 8)' },
  { name: 'is true and is unknown', sql: 'SELECT count(*) FILTER (WHERE (manager_id > 3) IS TRUE) AS yes, count(*) FILTER (WHERE (manager_id > 3) IS UNKNOWN) AS unknown FROM hr.employees' },

  // ---------------------------------------------------------------------------
  // Subqueries
  // ---------------------------------------------------------------------------
  { name: 'in subquery', sql: "SELECT count(*) FROM shop.customers WHERE id IN (SELECT customer_id FROM shop.orders WHERE total > 500)" },
  { name: 'not in subquery without nulls', sql: "SELECT count(*) FROM shop.products WHERE id NOT IN (SELECT product_id FROM shop.order_items WHERE quantity = 2 AND order_id < 50)" },
  { name: 'scalar subquery in select list', sql: 'SELECT c.id, c.name, (SELECT count(*) FROM shop.orders o WHERE o.customer_id = c.id) AS orders FROM shop.customers c ORDER BY c.id LIMIT 10' },
  { name: 'correlated subquery above average', sql: 'SELECT p.id, p.name, p.price FROM shop.products p WHERE p.price > (SELECT avg(price) FROM shop.products q WHERE q.category = p.category) ORDER BY p.id' },
  { name: 'any with array literal', sql: "SELECT count(*) FROM shop.orders WHERE status = ANY (ARRAY['paid', 'shipped'])" },
  { name: 'any with subquery', sql: 'SELECT id, price FROM shop.products WHERE price > ANY (SELECT price FROM shop.products WHERE category = $$travel$$) ORDER BY id LIMIT 5' },
  { name: 'all with subquery', sql: "SELECT id, price FROM shop.products WHERE price >= ALL (SELECT price FROM shop.products WHERE category = 'kitchen')" },
  { name: 'exists with correlated filter', sql: 'SELECT m.id, m.name FROM hr.employees m WHERE EXISTS (SELECT 1 FROM hr.employees e WHERE e.manager_id = m.id) ORDER BY m.id' },
  { name: 'derived table with aggregate', sql: 'SELECT avg(n)::numeric(6,2) AS avg_orders_per_customer FROM (SELECT customer_id, count(*) AS n FROM shop.orders GROUP BY customer_id) t' },
  { name: 'subquery in order by', sql: 'SELECT c.id, c.name FROM shop.customers c ORDER BY (SELECT max(o.total) FROM shop.orders o WHERE o.customer_id = c.id) DESC NULLS LAST, c.id LIMIT 5' },
  { name: 'subquery in having', sql: 'SELECT customer_id, sum(total) FROM shop.orders GROUP BY customer_id HAVING sum(total) > (SELECT 3 * avg(total) FROM shop.orders) ORDER BY 2 DESC LIMIT 10' },

  // ---------------------------------------------------------------------------
  // Arrays
  // ---------------------------------------------------------------------------
  { name: 'array_agg and array_length', sql: 'SELECT o.id, array_agg(oi.product_id ORDER BY oi.product_id) AS products, array_length(array_agg(oi.product_id), 1) AS n FROM shop.orders o JOIN shop.order_items oi ON oi.order_id = o.id WHERE o.id <= 10 GROUP BY o.id ORDER BY o.id' },
  { name: 'unnest in select list', sql: "SELECT unnest(ARRAY['DE', 'FR', 'US']) AS country" },
  { name: 'unnest with ordinality in from', sql: "SELECT t.elem, t.ord FROM unnest(ARRAY['x', 'y', 'z']) WITH ORDINALITY AS t(elem, ord)" },
  { name: 'array contains and overlaps', sql: 'SELECT ARRAY[1, 2, 3] @> ARRAY[2] AS contains, ARRAY[1, 2] && ARRAY[2, 5] AS overlaps, 3 = ANY (ARRAY[1, 2, 3]) AS member' },
  { name: 'array subscripts and slices', sql: 'SELECT (ARRAY[10, 20, 30, 40])[2] AS second, (ARRAY[10, 20, 30, 40])[2:3] AS slice, cardinality(ARRAY[[1, 2], [3, 4]]) AS card' },
  { name: 'array functions position remove append', sql: "SELECT array_position(ARRAY['a', 'b', 'c'], 'b'), array_remove(ARRAY[1, 2, 1], 1), array_append(ARRAY[1], 2), array_cat(ARRAY[1], ARRAY[2, 3]), array_upper(ARRAY[1, 2, 3], 1)" },
  { name: 'array constructor from subquery', sql: 'SELECT ARRAY(SELECT id FROM hr.employees WHERE manager_id = 1 ORDER BY id) AS direct_reports' },
  { name: 'products bought together', sql: 'SELECT a.product_id AS p1, b.product_id AS p2, count(*) AS together FROM shop.order_items a JOIN shop.order_items b ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 ORDER BY together DESC, 1, 2 LIMIT 10' },

  // ---------------------------------------------------------------------------
  // Parameters
  // ---------------------------------------------------------------------------
  { name: 'param status filter', sql: 'SELECT id, total FROM shop.orders WHERE status = $1 ORDER BY id LIMIT 10', params: ['paid'] },
  { name: 'param timestamp range', sql: 'SELECT count(*) FROM shop.orders WHERE ordered_at >= $1::timestamptz AND ordered_at < $2::timestamptz', params: ['2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z'] },
  { name: 'param price between', sql: 'SELECT id, name, price FROM shop.products WHERE price BETWEEN $1 AND $2 ORDER BY price, id', params: [10, 50] },
  { name: 'param text array with any', sql: 'SELECT country, count(*) FROM shop.customers WHERE country = ANY ($1::text[]) GROUP BY country ORDER BY country', params: [['DE', 'FR']] },
  { name: 'param ilike pattern', sql: 'SELECT id, name FROM shop.customers WHERE name ILIKE $1 ORDER BY id LIMIT 5', params: ['%hopper%'] },
  { name: 'param jsonb containment', sql: 'SELECT count(*) FROM shop.products WHERE attributes @> $1::jsonb', params: ['{"color":"red"}'] },
  { name: 'param customer and limit', sql: 'SELECT id, ordered_at, total FROM shop.orders WHERE customer_id = $1 ORDER BY ordered_at DESC LIMIT $2', params: [42, 5] },
  { name: 'param carrying attack text as data', sql: 'SELECT $1::text AS literal, length($1::text) AS len', params: ["'; COMMIT; DROP TABLE shop.orders; --"] },
  { name: 'param manager id', sql: 'SELECT id, name FROM hr.employees WHERE manager_id = $1 ORDER BY id', params: [1] },
  { name: 'param date_trunc unit', sql: 'SELECT date_trunc($1, ordered_at) AS bucket, count(*) FROM shop.orders GROUP BY 1 ORDER BY 1', params: ['quarter'] },
  { name: 'param in list', sql: 'SELECT id, status FROM shop.orders WHERE id IN ($1, $2, $3) ORDER BY id', params: [1, 2, 3] },
  { name: 'param date arithmetic', sql: 'SELECT $1::date + 30 AS due, $1::date - date \'2024-01-01\' AS days_into_year', params: ['2024-05-01'] },
  { name: 'param null with coalesce', sql: "SELECT coalesce($1::text, 'none') AS v", params: [null] },
  { name: 'param in format', sql: "SELECT format('%s has %s orders', $1::text, count(*)) FROM shop.orders WHERE customer_id = $2", params: ['customer 7', 7] },
  { name: 'param reused twice', sql: 'SELECT count(*) FILTER (WHERE total > $1) AS above, count(*) FILTER (WHERE total <= $1) AS below FROM shop.orders', params: [250] },

  // ---------------------------------------------------------------------------
  // Tricky but harmless text
  // ---------------------------------------------------------------------------
  { name: 'drop table inside line comment', sql: 'SELECT count(*) FROM shop.orders -- ;DROP TABLE x' },
  { name: 'commit and drop inside line comment on its own line', sql: 'SELECT count(*)\n-- ; COMMIT; DROP TABLE shop.orders;\nFROM shop.orders' },
  { name: 'drop table inside block comment', sql: 'SELECT /* ;DROP TABLE shop.orders */ count(*) FROM shop.orders' },
  { name: 'multi-line block comment with statements', sql: '/*\n  COMMIT;\n  DROP TABLE shop.orders;\n  DELETE FROM hr.employees;\n*/\nSELECT 1 AS ok' },
  { name: 'nested block comment', sql: 'SELECT /* outer /* inner ; DROP TABLE shop.orders */ still comment ; COMMIT */ 42 AS answer' },
  { name: 'drop table inside string literal', sql: "SELECT ';DROP TABLE shop.orders' AS s" },
  { name: 'commit inside string literal in where', sql: "SELECT count(*) FROM shop.orders WHERE status <> 'COMMIT; DROP TABLE shop.orders'" },
  { name: 'doubled quote inside string', sql: "SELECT 'it''s; DELETE FROM shop.orders; --' AS s" },
  { name: 'drop table inside dollar quote', sql: 'SELECT $$;DROP TABLE shop.orders$$ AS s' },
  { name: 'commit inside tagged dollar quote', sql: 'SELECT $tag$ COMMIT; $tag$ AS s' },
  { name: 'dollar quote nested in tagged dollar quote', sql: 'SELECT $outer$ $$; DROP TABLE shop.orders; $$ $outer$ AS s' },
  { name: 'quoted identifier aliases update delete drop table', sql: 'SELECT id AS "update", status AS "delete", total AS "drop table" FROM shop.orders ORDER BY id LIMIT 5' },
  { name: 'bare keyword aliases update delete insert commit', sql: 'SELECT 1 AS update, 2 AS delete, 3 AS insert, 4 AS commit, 5 AS rollback, 6 AS drop' },
  { name: 'alias with semicolon and drop', sql: 'SELECT count(*) AS "x; DROP TABLE shop.orders" FROM shop.orders' },
  { name: 'alias named like dangerous functions', sql: 'SELECT name AS pg_sleep, sku AS pg_read_file, price AS nextval FROM shop.products ORDER BY id LIMIT 3' },
  { name: 'dangerous function names inside strings', sql: "SELECT 'pg_read_file(''/etc/passwd'')' AS a, 'set_config(''default_transaction_read_only'', ''off'', false)' AS b, 'SELECT pg_sleep(10)' AS c" },
  { name: 'e string with escapes', sql: "SELECT E'line1\\nline2\\t;DROP TABLE shop.orders' AS s, E'it\\'s' AS t, E'\\x41\\u00e9' AS u" },
  { name: 'standard string with trailing backslash', sql: "SELECT 'C:\\' AS path, length('C:\\') AS len" },
  { name: 'unicode escaped string literal', sql: "SELECT U&'d\\0061t\\+000061' AS data" },
  { name: 'trailing semicolon', sql: 'SELECT 1;' },
  { name: 'trailing semicolon and comment', sql: 'SELECT count(*) FROM shop.customers; -- done' },
  { name: 'leading and trailing whitespace and comments', sql: '\n\n   -- monthly report\n   /* owner: analytics */\n   SELECT count(*) FROM shop.customers   \n  /* end */  \n\t' },
  { name: 'windows line endings', sql: 'SELECT id,\r\n       name\r\nFROM shop.products\r\nWHERE id < 4\r\nORDER BY id' },
  { name: 'comment markers inside strings', sql: "SELECT '/* not a comment */' AS a, '-- not a comment either' AS b, 1 /* real comment */ AS c" },
  { name: 'string concatenation across lines', sql: "SELECT 'COMMIT'\n  'DROP' AS s" },
  { name: 'keywords as column values', sql: "SELECT v FROM (VALUES ('insert'), ('update'), ('delete'), ('commit'), ('drop')) AS t(v) ORDER BY v" },
  { name: 'quoted identifier keyword as cte and column', sql: 'WITH "update" AS (SELECT 1 AS "commit", 2 AS "select") SELECT "commit", "select" FROM "update"' },
  { name: 'table alias named like a keyword', sql: 'SELECT "order".id, "order".total FROM shop.orders AS "order" WHERE "order".id < 4 ORDER BY 1' },
  { name: 'upper case statement', sql: 'SELECT COUNT(*), MAX(TOTAL) FROM SHOP.ORDERS WHERE STATUS = \'paid\'' },
  { name: 'quoted schema and table names', sql: 'SELECT count(*) FROM "shop"."orders" AS o JOIN "shop"."customers" AS c ON c."id" = o."customer_id"' },
  { name: 'tabs and odd whitespace', sql: 'SELECT\tid,\tname\f FROM\tshop.products\tWHERE\tid\t=\t1' },
  { name: 'semicolon in quoted alias with trailing semicolon', sql: 'SELECT 1 AS ";";' },
  { name: 'explain word inside string', sql: "SELECT 'EXPLAIN ANALYZE DELETE FROM shop.orders' AS s" },
];
