-- Bastion demo data: a small shop and an HR schema that holds the kind of data
-- later roles deny or mask. Deterministic: every value is derived from the row
-- number, so tests can count on it.
CREATE SCHEMA shop;
CREATE SCHEMA hr;

COMMENT ON SCHEMA shop IS 'A small web shop: customers, products, orders';
COMMENT ON SCHEMA hr IS 'People data: salaries and identifiers that roles should deny or mask';

CREATE TABLE shop.customers (
  id          integer PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL UNIQUE,
  country     text NOT NULL,
  created_at  timestamptz NOT NULL
);
COMMENT ON TABLE shop.customers IS 'People who bought something';

CREATE TABLE shop.products (
  id        integer PRIMARY KEY,
  sku       text NOT NULL UNIQUE,
  name      text NOT NULL,
  category  text NOT NULL,
  price     numeric(10,2) NOT NULL CHECK (price >= 0),
  stock     integer NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE shop.orders (
  id           integer PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES shop.customers(id),
  status       text NOT NULL CHECK (status IN ('pending','paid','shipped','cancelled','refunded')),
  ordered_at   timestamptz NOT NULL,
  total        numeric(12,2) NOT NULL
);
CREATE INDEX orders_customer_idx ON shop.orders(customer_id);
CREATE INDEX orders_ordered_at_idx ON shop.orders(ordered_at);

CREATE TABLE shop.order_items (
  order_id    integer NOT NULL REFERENCES shop.orders(id),
  product_id  integer NOT NULL REFERENCES shop.products(id),
  quantity    integer NOT NULL CHECK (quantity > 0),
  unit_price  numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE hr.employees (
  id          integer PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL,
  title       text NOT NULL,
  manager_id  integer REFERENCES hr.employees(id),
  salary      numeric(10,2) NOT NULL,
  ssn         text NOT NULL,
  hired_on    date NOT NULL
);
COMMENT ON COLUMN hr.employees.ssn IS 'National identifier: deny or mask';
COMMENT ON COLUMN hr.employees.salary IS 'Confidential';

CREATE TABLE hr.api_credentials (
  id       integer PRIMARY KEY,
  service  text NOT NULL,
  api_key  text NOT NULL
);
COMMENT ON TABLE hr.api_credentials IS 'Fake secrets: a table roles should deny';

INSERT INTO shop.customers
SELECT g,
       (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Ken','Margaret','Linus','Frances'])[1 + g % 10]
         || ' ' || (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Thompson','Hamilton','Torvalds','Allen'])[1 + (g / 10) % 10],
       'customer' || g || '@example.com',
       (ARRAY['DE','FR','US','GB','NL','SE','JP','BR','IN','CA'])[1 + (g * 7) % 10],
       timestamptz '2024-01-01 00:00:00+00' + (g * interval '3 hours 17 minutes')
FROM generate_series(1, 500) AS g;

INSERT INTO shop.products
SELECT g,
       'SKU-' || lpad(g::text, 5, '0'),
       (ARRAY['Mug','Notebook','Keyboard','Lamp','Backpack','Bottle','Headphones','Chair'])[1 + g % 8] || ' ' || g,
       (ARRAY['kitchen','office','electronics','home','travel'])[1 + g % 5],
       round((5 + (g * 37) % 200)::numeric + ((g % 100)::numeric / 100), 2),
       (g * 13) % 150,
       jsonb_build_object('color', (ARRAY['red','green','blue','black'])[1 + g % 4], 'weight_g', 100 + (g * 11) % 900)
FROM generate_series(1, 120) AS g;

INSERT INTO shop.orders
SELECT g,
       1 + (g * 31) % 500,
       (ARRAY['pending','paid','shipped','shipped','shipped','cancelled','refunded','paid'])[1 + g % 8],
       timestamptz '2024-02-01 00:00:00+00' + (g * interval '1 hour 47 minutes'),
       0
FROM generate_series(1, 3000) AS g;

INSERT INTO shop.order_items
SELECT o, p, 1 + (o + p) % 4, pr.price
FROM generate_series(1, 3000) AS o
CROSS JOIN LATERAL (VALUES (1 + (o * 7) % 120), (1 + (o * 11 + 3) % 120)) AS x(p)
JOIN shop.products pr ON pr.id = x.p
ON CONFLICT DO NOTHING;

UPDATE shop.orders o
SET total = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM shop.order_items GROUP BY order_id) s
WHERE s.order_id = o.id;

INSERT INTO hr.employees
SELECT g,
       'Employee ' || g,
       'employee' || g || '@example.com',
       (ARRAY['Engineer','Designer','Manager','Analyst','Support'])[1 + g % 5],
       CASE WHEN g = 1 THEN NULL ELSE 1 + (g - 2) / 5 END,
       40000 + (g * 997) % 60000,
       lpad(((g * 7919) % 1000)::text, 3, '0') || '-' || lpad(((g * 104729) % 100)::text, 2, '0') || '-' || lpad(((g * 1299709) % 10000)::text, 4, '0'),
       date '2015-01-01' + (g * 41)
FROM generate_series(1, 40) AS g;

INSERT INTO hr.api_credentials VALUES
  (1, 'payments', 'sk_test_demo_not_a_real_key_0001'),
  (2, 'email',    'demo-email-key-not-real-0002');

ANALYZE;
