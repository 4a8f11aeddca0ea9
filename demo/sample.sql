-- Sample data for `airlock demo` (idempotent). Explicit ids, so INSERT previews need no sequence.
SET client_min_messages = warning;
DROP TABLE IF EXISTS invoices;
DROP TABLE IF EXISTS customers;
CREATE TABLE customers (
  id      int PRIMARY KEY,
  name    text NOT NULL,
  email   text NOT NULL,
  plan    text NOT NULL DEFAULT 'free',
  created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE invoices (
  id          int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers,
  amount      numeric(10, 2) NOT NULL,
  status      text NOT NULL DEFAULT 'open'
);
INSERT INTO customers (id, name, email, plan) VALUES
  (1, 'Ada Lovelace', 'ada@example.com', 'pro'),
  (2, 'Grace Hopper', 'grace@example.com', 'team'),
  (3, 'Edsger Dijkstra', 'edsger@example.com', 'free'),
  (4, 'Barbara Liskov', 'barbara@example.com', 'pro'),
  (5, 'Ken Thompson', 'ken@example.com', 'free');
INSERT INTO invoices (id, customer_id, amount, status) VALUES
  (101, 1, 49.00, 'paid'), (102, 1, 49.00, 'open'), (103, 2, 299.00, 'paid'),
  (104, 4, 49.00, 'open'), (105, 4, 49.00, 'overdue'), (106, 5, 0.00, 'paid');
