/**
 * Portable benign corpus: analytics SQL that every engine Bastion serves
 * (PostgreSQL, PGlite, MySQL/MariaDB, SQLite) must accept through its guard and
 * answer identically, over one small shop schema created here.
 *
 * Plain data, no imports of project code. Statements use `?` placeholders (MySQL
 * and SQLite); `toDollarParams` turns them into $1..$n for the PostgreSQL family.
 *
 * The common subset is narrower than it looks; the corpus keeps to it so that an
 * engine's answer can be compared with the others':
 * - dates are 'YYYY-MM-DD' strings in VARCHAR(10) columns (no date types or date
 *   functions: each engine has its own);
 * - money is DECIMAL(10,2) with multiples of 0.25, exact in binary floating point,
 *   so SQLite's REAL sums equal the others' exact sums; no division of integers
 *   (MySQL's `/` is exact, the others truncate);
 * - strings are ASCII with one letter case per column, so `=`, LIKE and ORDER BY
 *   agree across case-insensitive (MySQL) and binary (SQLite, PostgreSQL "C")
 *   collations;
 * - no ORDER BY on a nullable column (engines put NULLs at different ends), no
 *   `||` (OR on MySQL), no double-quoted identifiers (strings on MySQL), no
 *   boolean results (t/f vs 1/0), no CAST to a string type, no third (default)
 *   argument to LAG/LEAD (MariaDB has none), and aliases that are reserved nowhere
 *   (not `rank`, `rows`, `year`, `lines`);
 * - literals and comments never contain `?`, so rewriting placeholders is trivial.
 */

export interface PortableCase {
  /** Unique: used in test titles. */
  name: string;
  /** One statement with `?` placeholders. */
  sql: string;
  params?: (string | number)[];
  /** Expected number of rows, the same on every engine. */
  rows?: number;
  /** Expected rows, where they are small; numbers compare as numbers (DECIMAL comes back as text on some drivers). */
  result?: (string | number | null)[][];
  /** The statement does not fix the row order: compare the rows as a multiset. */
  unordered?: boolean;
  /**
   * Guards that refuse this benign statement today, with their error: a gap to fix
   * in that guard, not in the SQL. The test checks the refusal still happens, so the
   * fix shows up as a failure that says to remove the marker.
   */
  guardGaps?: Partial<Record<GuardFamily, string>>;
}

/** Whose guard judges a statement: PostgreSQL and PGlite share one policy. */
export type GuardFamily = 'postgres' | 'mysql' | 'sqlite';

const DISTINCT_AGGREGATE = 'SQL_PARSE_ERROR: node-sql-parser 5.4 parses COUNT(DISTINCT x) but not SUM(DISTINCT x) or AVG(DISTINCT x)';

// ---------------------------------------------------------------------------
// Schema and seed data
// ---------------------------------------------------------------------------

/** CREATE TABLE statements valid as written on all four engines, in dependency order. */
export const portableSchema: readonly string[] = [
  `CREATE TABLE customers (
     id INTEGER NOT NULL PRIMARY KEY,
     name VARCHAR(40) NOT NULL,
     email VARCHAR(60),
     country VARCHAR(2) NOT NULL,
     created_at VARCHAR(10) NOT NULL
   )`,
  `CREATE TABLE products (
     id INTEGER NOT NULL PRIMARY KEY,
     name VARCHAR(40) NOT NULL,
     category VARCHAR(20) NOT NULL,
     price DECIMAL(10,2) NOT NULL
   )`,
  `CREATE TABLE orders (
     id INTEGER NOT NULL PRIMARY KEY,
     customer_id INTEGER NOT NULL,
     status VARCHAR(20) NOT NULL,
     total DECIMAL(10,2) NOT NULL,
     ordered_at VARCHAR(10) NOT NULL,
     note VARCHAR(100),
     FOREIGN KEY (customer_id) REFERENCES customers (id)
   )`,
  `CREATE TABLE order_items (
     order_id INTEGER NOT NULL,
     product_id INTEGER NOT NULL,
     quantity INTEGER NOT NULL,
     unit_price DECIMAL(10,2) NOT NULL,
     PRIMARY KEY (order_id, product_id),
     FOREIGN KEY (order_id) REFERENCES orders (id),
     FOREIGN KEY (product_id) REFERENCES products (id)
   )`,
];

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL'];
const CATEGORIES = ['books', 'games', 'tools', 'garden'];
const STATUSES = ['paid', 'shipped', 'pending', 'cancelled', 'refunded'];

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

type Value = string | number | null;

/** The seed rows, table by table, generated without randomness. */
export function portableRows(): Record<'customers' | 'products' | 'orders' | 'order_items', Value[][]> {
  const customers: Value[][] = [];
  for (let id = 1; id <= 60; id++) {
    const email = id % 7 === 0 ? null : `c${pad(id, 3)}@example.com`;
    customers.push([id, `Customer ${pad(id, 3)}`, email, COUNTRIES[id % 5] ?? 'DE', `2023-${pad((id % 12) + 1, 2)}-${pad((id % 28) + 1, 2)}`]);
  }
  const products: Value[][] = [];
  const price = (id: number): number => ((id * 37) % 200) / 4 + 5;
  for (let id = 1; id <= 20; id++) products.push([id, `Product ${pad(id, 2)}`, CATEGORIES[id % 4] ?? 'books', price(id)]);

  const orders: Value[][] = [];
  const items: Value[][] = [];
  for (let id = 1; id <= 300; id++) {
    let total = 0;
    // 1 to 4 distinct products per order; customers 51..60 never order.
    for (let k = 0; k <= id % 4; k++) {
      const product = ((id + k * 5) % 20) + 1;
      const quantity = ((id + k) % 3) + 1;
      items.push([id, product, quantity, price(product)]);
      total += quantity * price(product);
    }
    const note = id % 10 === 0 ? 'gift wrap' : id % 25 === 3 ? 'DROP TABLE orders; --' : null;
    orders.push([id, ((id * 7) % 50) + 1, STATUSES[(id * 3) % 5] ?? 'paid', total, `2024-${pad((id % 12) + 1, 2)}-${pad(((id * 3) % 28) + 1, 2)}`, note]);
  }
  return { customers, products, orders, order_items: items };
}

function literal(value: Value): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/** INSERT statements for the seed rows (multi-row VALUES, 100 rows each), after the schema. */
export function portableInserts(): string[] {
  const statements: string[] = [];
  for (const [table, rows] of Object.entries(portableRows())) {
    for (let i = 0; i < rows.length; i += 100) {
      const values = rows.slice(i, i + 100).map((row) => `(${row.map(literal).join(', ')})`);
      statements.push(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
    }
  }
  return statements;
}

/**
 * `?` placeholders as PostgreSQL's $1..$n. Quoted strings and comments are copied
 * as they are (the corpus keeps `?` out of them anyway).
 */
export function toDollarParams(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charAt(i);
    let end = i;
    if (c === "'") end = sql.indexOf("'", i + 1);
    else if (c === '-' && sql.charAt(i + 1) === '-') end = sql.indexOf('\n', i);
    else if (c === '/' && sql.charAt(i + 1) === '*') end = sql.indexOf('*/', i + 2) + 1;
    if (end < i) end = sql.length - 1; // unterminated: copy the rest
    if (end > i) {
      out += sql.slice(i, end + 1);
      i = end;
    } else {
      out += c === '?' ? `$${++n}` : c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The statements
// ---------------------------------------------------------------------------

const TOP_ORDER_PER_CUSTOMER = `
SELECT customer_id, id, total
  FROM (SELECT customer_id, id, total,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY total DESC, id) AS rn
          FROM orders) ranked
 WHERE rn = 1 AND customer_id <= ?
 ORDER BY customer_id`;

export const portable: readonly PortableCase[] = [
  // ----------------------------------------------------------- filters
  { name: 'count all customers', sql: 'SELECT COUNT(*) FROM customers', result: [[60]] },
  { name: 'equality filter with a parameter', sql: 'SELECT id, name FROM customers WHERE country = ? ORDER BY id', params: ['DE'], rows: 12 },
  { name: 'IN list of literals', sql: "SELECT COUNT(*) FROM orders WHERE status IN ('paid', 'shipped')", result: [[120]] },
  { name: 'NOT IN list of parameters', sql: 'SELECT COUNT(*) FROM orders WHERE status NOT IN (?, ?)', params: ['cancelled', 'refunded'], result: [[180]] },
  { name: 'BETWEEN on money with parameters', sql: 'SELECT id, total FROM orders WHERE total BETWEEN ? AND ? ORDER BY total, id', params: [20, 60], rows: 55 },
  { name: 'BETWEEN on date strings', sql: "SELECT COUNT(*) FROM orders WHERE ordered_at BETWEEN '2024-03-01' AND '2024-05-31'", result: [[75]] },
  { name: 'half-open date range with parameters', sql: 'SELECT id, ordered_at FROM orders WHERE ordered_at >= ? AND ordered_at < ? ORDER BY ordered_at, id', params: ['2024-06-01', '2024-07-01'], rows: 25 },
  { name: 'LIKE prefix', sql: "SELECT id FROM customers WHERE name LIKE 'Customer 01%' ORDER BY id", rows: 10 },
  { name: 'LIKE with a parameter and NOT LIKE', sql: "SELECT COUNT(*) FROM customers WHERE email LIKE ? AND name NOT LIKE '%5'", params: ['c0%@example.com'], result: [[47]] },
  {
    name: 'NOT over a parenthesised condition',
    sql: 'SELECT COUNT(*) FROM orders WHERE NOT (status = ? OR total > ?)',
    params: ['paid', 100],
    result: [[85]],
  },
  { name: 'AND, OR and NOT with parentheses', sql: "SELECT COUNT(*) FROM orders WHERE (status = 'paid' OR status = 'shipped') AND NOT total < 50", result: [[85]] },
  { name: 'IN list of parameters on the key', sql: 'SELECT id, name FROM products WHERE id IN (?, ?, ?) ORDER BY id', params: [3, 7, 11], rows: 3 },

  // ----------------------------------------------------------- NULL handling, CASE
  {
    name: 'IS NULL and IS NOT NULL counted with CASE',
    sql: 'SELECT SUM(CASE WHEN email IS NULL THEN 1 ELSE 0 END) AS missing, SUM(CASE WHEN email IS NOT NULL THEN 1 ELSE 0 END) AS present FROM customers',
    result: [[8, 52]],
  },
  { name: 'COALESCE over a nullable column', sql: "SELECT id, COALESCE(email, 'none') AS contact FROM customers WHERE id BETWEEN 12 AND 15 ORDER BY id", result: [[12, 'c012@example.com'], [13, 'c013@example.com'], [14, 'none'], [15, 'c015@example.com']] },
  { name: 'COUNT of a column skips NULLs', sql: 'SELECT COUNT(*), COUNT(email), COUNT(note) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id', result: [[310, 267, 42]] },
  { name: 'NULLIF', sql: "SELECT COUNT(NULLIF(status, 'pending')) FROM orders", result: [[240]] },
  {
    name: 'CASE buckets grouped by position',
    sql: "SELECT CASE WHEN total < 25 THEN 'a-small' WHEN total < 75 THEN 'b-medium' ELSE 'c-large' END AS bucket, COUNT(*) AS n FROM orders GROUP BY 1 ORDER BY 1",
    rows: 3,
  },
  { name: 'NULLs last by a CASE in ORDER BY', sql: 'SELECT id, email FROM customers WHERE id <= 21 ORDER BY CASE WHEN email IS NULL THEN 1 ELSE 0 END, id', rows: 21 },

  // ----------------------------------------------------------- aggregates
  { name: 'DISTINCT values', sql: 'SELECT DISTINCT country FROM customers ORDER BY country', result: [['DE'], ['FR'], ['GB'], ['NL'], ['US']] },
  { name: 'COUNT DISTINCT', sql: 'SELECT COUNT(DISTINCT customer_id) FROM orders', result: [[50]] },
  {
    name: 'SUM and AVG of DISTINCT values',
    sql: 'SELECT SUM(DISTINCT quantity), AVG(DISTINCT quantity) FROM order_items',
    result: [[6, 2]],
    guardGaps: { mysql: DISTINCT_AGGREGATE, sqlite: DISTINCT_AGGREGATE },
  },
  { name: 'COUNT, SUM, MIN, MAX and AVG', sql: 'SELECT COUNT(*), SUM(total), MIN(total), MAX(total), AVG(total) FROM orders', result: [[300, 43800, 12.25, 397.5, 146]] },
  { name: 'MIN and MAX of date strings', sql: 'SELECT MIN(ordered_at), MAX(ordered_at) FROM orders', result: [['2024-01-01', '2024-12-26']] },
  { name: 'GROUP BY with HAVING on a parameter', sql: 'SELECT customer_id, COUNT(*) AS n, SUM(total) AS spent FROM orders GROUP BY customer_id HAVING COUNT(*) >= ? ORDER BY customer_id', params: [6], rows: 50 },
  {
    name: 'GROUP BY two columns with substr',
    sql: 'SELECT status, substr(ordered_at, 1, 7) AS ym, COUNT(*) AS n FROM orders GROUP BY status, substr(ordered_at, 1, 7) ORDER BY status, ym',
    rows: 60,
  },
  { name: 'HAVING on an aggregate not selected', sql: 'SELECT country FROM customers GROUP BY country HAVING MAX(id) > 57 ORDER BY country', rows: 3 },
  {
    name: 'pivot with SUM(CASE)',
    sql: `SELECT c.country,
                 SUM(CASE WHEN o.status = 'paid' THEN o.total ELSE 0 END) AS paid,
                 SUM(CASE WHEN o.status = 'refunded' THEN o.total ELSE 0 END) AS refunded,
                 COUNT(*) AS n
            FROM orders o JOIN customers c ON c.id = o.customer_id
           GROUP BY c.country ORDER BY c.country`,
    rows: 5,
  },
  { name: 'aggregate of an arithmetic expression', sql: 'SELECT order_id, SUM(quantity * unit_price) AS line_total FROM order_items GROUP BY order_id HAVING SUM(quantity * unit_price) > 150 ORDER BY order_id', rows: 135 },

  // ----------------------------------------------------------- joins
  {
    name: 'inner join grouped by country',
    sql: 'SELECT c.country, COUNT(*) AS orders, SUM(o.total) AS revenue FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.country ORDER BY c.country',
    rows: 5,
  },
  {
    name: 'three-way join with a filter',
    sql: `SELECT p.category, SUM(oi.quantity) AS units, SUM(oi.quantity * oi.unit_price) AS revenue
            FROM order_items oi
            JOIN products p ON p.id = oi.product_id
            JOIN orders o ON o.id = oi.order_id
           WHERE o.status <> 'cancelled'
           GROUP BY p.category ORDER BY p.category`,
    rows: 4,
  },
  { name: 'LEFT JOIN keeps customers without orders', sql: 'SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL ORDER BY c.id', rows: 10 },
  { name: 'LEFT JOIN counting zero', sql: 'SELECT c.id, COUNT(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id', rows: 60 },
  { name: 'self join within a country', sql: 'SELECT a.id, b.id FROM customers a JOIN customers b ON a.country = b.country AND a.id < b.id WHERE a.id <= 3 ORDER BY a.id, b.id', rows: 33 },
  {
    name: 'CROSS JOIN of two derived tables',
    sql: 'SELECT COUNT(*) FROM (SELECT DISTINCT country FROM customers) c CROSS JOIN (SELECT DISTINCT category FROM products) p',
    result: [[20]],
    guardGaps: { sqlite: 'SQL_PARSE_ERROR: the SQLite grammar (node-sql-parser) has no CROSS JOIN after a derived table (it does after a table name)' },
  },
  {
    name: 'RIGHT JOIN',
    sql: 'SELECT c.id FROM orders o RIGHT JOIN customers c ON c.id = o.customer_id WHERE o.id IS NULL ORDER BY c.id',
    rows: 10,
  },

  // ----------------------------------------------------------- subqueries
  { name: 'scalar subquery in WHERE', sql: 'SELECT id, name, price FROM products WHERE price > (SELECT AVG(price) FROM products) ORDER BY id', rows: 10 },
  { name: 'IN subquery with a parameter', sql: 'SELECT COUNT(*) FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = ?)', params: ['refunded'], result: [[10]] },
  { name: 'NOT IN subquery', sql: 'SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)', result: [[10]] },
  { name: 'derived table in FROM', sql: 'SELECT COUNT(*), MIN(n), MAX(n), SUM(n) FROM (SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY customer_id) per_customer', result: [[50, 6, 6, 300]] },
  { name: 'EXISTS, correlated, with a parameter', sql: 'SELECT COUNT(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > ?)', params: [100], result: [[45]] },
  { name: 'NOT EXISTS', sql: "SELECT id FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE oi.product_id = p.id AND o.status = 'refunded') ORDER BY id", rows: 16 },
  { name: 'correlated scalar subquery in SELECT', sql: 'SELECT c.id, (SELECT MAX(o.total) FROM orders o WHERE o.customer_id = c.id) AS biggest FROM customers c WHERE c.id BETWEEN 45 AND 55 ORDER BY c.id', rows: 11 },
  { name: 'correlated subquery against the group average', sql: 'SELECT COUNT(*) FROM orders o WHERE o.total > (SELECT AVG(o2.total) FROM orders o2 WHERE o2.customer_id = o.customer_id)', result: [[150]] },
  { name: 'order totals equal their lines', sql: 'SELECT COUNT(*) FROM orders o WHERE o.total <> (SELECT SUM(oi.quantity * oi.unit_price) FROM order_items oi WHERE oi.order_id = o.id)', result: [[0]] },
  { name: 'subquery in SELECT without FROM', sql: 'SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM order_items) AS items', result: [[300, 750]] },

  // ----------------------------------------------------------- set operations
  { name: 'UNION removes duplicates', sql: 'SELECT customer_id AS id FROM orders WHERE total > 150 UNION SELECT id FROM customers WHERE id > 55', unordered: true, rows: 50 },
  {
    name: 'UNION ALL of counts, ordered',
    sql: "SELECT 'a-customers' AS kind, COUNT(*) AS n FROM customers UNION ALL SELECT 'b-orders', COUNT(*) FROM orders UNION ALL SELECT 'c-products', COUNT(*) FROM products ORDER BY 1",
    result: [['a-customers', 60], ['b-orders', 300], ['c-products', 20]],
  },

  // ----------------------------------------------------------- CTEs
  {
    name: 'CTE with a parameter',
    sql: 'WITH spend AS (SELECT customer_id, SUM(total) AS spent FROM orders GROUP BY customer_id) SELECT customer_id, spent FROM spend WHERE spent > ? ORDER BY spent DESC, customer_id',
    params: [700],
    rows: 25,
  },
  {
    name: 'two chained CTEs',
    sql: `WITH per_customer AS (SELECT customer_id, COUNT(*) AS n, SUM(total) AS spent FROM orders GROUP BY customer_id),
               per_country AS (SELECT c.country, SUM(p.spent) AS spent, SUM(p.n) AS n FROM per_customer p JOIN customers c ON c.id = p.customer_id GROUP BY c.country)
          SELECT country, spent, n FROM per_country ORDER BY country`,
    rows: 5,
  },
  { name: 'recursive CTE counting to twelve', sql: 'WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 12) SELECT n FROM seq ORDER BY n', rows: 12 },
  {
    name: 'recursive CTE of months joined to orders',
    sql: `WITH RECURSIVE months (m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM months WHERE m < 12)
          SELECT m, COUNT(o.id) AS n
            FROM months LEFT JOIN orders o
              ON substr(o.ordered_at, 1, 7) = CASE WHEN m < 10 THEN CONCAT('2024-0', m) ELSE CONCAT('2024-', m) END
           GROUP BY m ORDER BY m`,
    rows: 12,
  },

  // ----------------------------------------------------------- window functions
  {
    name: 'ROW_NUMBER over a partition',
    sql: 'SELECT customer_id, id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY total DESC, id) AS rn FROM orders WHERE customer_id <= 5 ORDER BY customer_id, rn',
    rows: 30,
  },
  { name: 'top order per customer through a ranked derived table', sql: TOP_ORDER_PER_CUSTOMER, params: [10], rows: 10 },
  {
    name: 'RANK and DENSE_RANK',
    sql: 'SELECT id, price, RANK() OVER (ORDER BY price DESC) AS rnk, DENSE_RANK() OVER (ORDER BY price DESC) AS drnk FROM products ORDER BY price DESC, id',
    rows: 20,
  },
  { name: 'DENSE_RANK within a partition', sql: 'SELECT category, id, DENSE_RANK() OVER (PARTITION BY category ORDER BY price DESC) AS drnk FROM products ORDER BY category, drnk, id', rows: 20 },
  { name: 'running total with SUM OVER ORDER BY', sql: 'SELECT id, total, SUM(total) OVER (PARTITION BY customer_id ORDER BY id) AS running FROM orders WHERE customer_id = ? ORDER BY id', params: [3], rows: 6 },
  { name: 'SUM over a whole partition', sql: 'SELECT id, total, SUM(total) OVER (PARTITION BY customer_id) AS customer_total FROM orders WHERE customer_id IN (1, 2) ORDER BY id', rows: 12 },
  {
    name: 'LAG and LEAD',
    sql: 'SELECT id, total, LAG(total) OVER (ORDER BY id) AS prev_total, LEAD(id) OVER (ORDER BY id) AS next_id FROM orders WHERE customer_id = 1 ORDER BY id',
    rows: 6,
  },
  {
    name: 'LAG within a partition, COALESCE for the first row',
    sql: 'SELECT customer_id, id, total - COALESCE(LAG(total) OVER (PARTITION BY customer_id ORDER BY id), 0) AS change_from_previous FROM orders WHERE customer_id <= 3 ORDER BY customer_id, id',
    rows: 18,
  },
  {
    name: 'moving sum over a ROWS frame',
    sql: 'SELECT id, SUM(total) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving FROM orders WHERE id <= 20 ORDER BY id',
    rows: 20,
  },
  {
    name: 'ROWS frame within a partition',
    sql: 'SELECT customer_id, id, SUM(total) OVER (PARTITION BY customer_id ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS last_two FROM orders WHERE customer_id <= 3 ORDER BY customer_id, id',
    rows: 18,
  },
  {
    name: 'share of the grand total with OVER ()',
    sql: 'SELECT id, price, SUM(price) OVER () AS all_products FROM products ORDER BY id',
    rows: 20,
  },
  { name: 'FIRST_VALUE and COUNT over a partition', sql: 'SELECT customer_id, id, FIRST_VALUE(id) OVER (PARTITION BY customer_id ORDER BY ordered_at, id) AS first_order, COUNT(*) OVER (PARTITION BY customer_id) AS n FROM orders WHERE customer_id <= 4 ORDER BY customer_id, id', rows: 24 },
  { name: 'NTILE', sql: 'SELECT id, NTILE(4) OVER (ORDER BY price, id) AS quartile FROM products ORDER BY id', rows: 20 },

  // ----------------------------------------------------------- ordering and paging
  { name: 'LIMIT and OFFSET as parameters', sql: 'SELECT id FROM orders ORDER BY id LIMIT ? OFFSET ?', params: [3, 40], result: [[41], [42], [43]] },
  { name: 'ORDER BY with LIMIT', sql: 'SELECT id, total FROM orders ORDER BY total DESC, id LIMIT 5', rows: 5 },
  { name: 'LIMIT with OFFSET', sql: 'SELECT id FROM orders ORDER BY id LIMIT 10 OFFSET 20', result: [[21], [22], [23], [24], [25], [26], [27], [28], [29], [30]] },
  { name: 'ORDER BY an expression, descending', sql: 'SELECT order_id, product_id, quantity * unit_price AS line FROM order_items WHERE order_id <= 10 ORDER BY quantity * unit_price DESC, order_id, product_id', rows: 25 },

  // ----------------------------------------------------------- scalar functions
  {
    name: 'string functions',
    sql: "SELECT id, lower(name), upper(country), length(name), substr(name, 10, 3), replace(name, 'Customer', 'C'), trim('  x  '), CONCAT(name, ' / ', country) FROM customers WHERE id <= 3 ORDER BY id",
    result: [
      [1, 'customer 001', 'FR', 12, '001', 'C 001', 'x', 'Customer 001 / FR'],
      [2, 'customer 002', 'US', 12, '002', 'C 002', 'x', 'Customer 002 / US'],
      [3, 'customer 003', 'GB', 12, '003', 'C 003', 'x', 'Customer 003 / GB'],
    ],
  },
  { name: 'math functions', sql: 'SELECT id, abs(total - 100), round(total), round(total, 1), floor(total), ceil(total), id % 7 FROM orders WHERE id <= 12 ORDER BY id', rows: 12 },
  { name: 'string function in GROUP BY', sql: 'SELECT substr(ordered_at, 1, 4) AS yr, COUNT(*) FROM orders GROUP BY substr(ordered_at, 1, 4)', result: [['2024', 300]] },
  {
    name: 'CAST to DECIMAL',
    sql: 'SELECT id, CAST(total AS DECIMAL(10,2)) AS exact_total FROM orders WHERE id <= 5 ORDER BY id',
    rows: 5,
  },
  { name: 'ROUND of an average', sql: 'SELECT category, ROUND(AVG(price), 2) AS avg_price, COUNT(*) AS n FROM products GROUP BY category ORDER BY category', rows: 4 },

  // ----------------------------------------------------------- attack-looking text that is only data
  { name: 'DROP TABLE inside a string literal', sql: "SELECT COUNT(*) FROM customers WHERE name = 'DROP TABLE customers; --'", result: [[0]] },
  { name: 'escaped quote and DELETE inside a literal', sql: "SELECT COUNT(*) FROM orders WHERE note = 'x''; DELETE FROM orders; --'", result: [[0]] },
  { name: 'function names inside literals', sql: "SELECT COUNT(*) FROM orders WHERE note IN ('sleep(10)', 'load_file(x)', 'pg_read_file(y)')", result: [[0]] },
  { name: 'seeded attack text matched by LIKE', sql: "SELECT id, note FROM orders WHERE note LIKE '%DROP TABLE%' ORDER BY id", rows: 12 },
  { name: 'attack text in comments', sql: 'SELECT COUNT(*) /* DROP TABLE orders; */ FROM orders -- ; DELETE FROM orders\nWHERE id <= 3', result: [[3]] },
  { name: 'attack text as a parameter value', sql: 'SELECT COUNT(*) FROM orders WHERE note = ?', params: ['DROP TABLE orders; --'], result: [[12]] },
];
