-- The demo target's sample tables; idempotent. Applied by up.sh as the local superuser.
CREATE TABLE IF NOT EXISTS customers
(
    id         integer PRIMARY KEY,
    name       text        NOT NULL,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orders
(
    id          integer PRIMARY KEY,
    customer_id integer        NOT NULL REFERENCES customers (id),
    amount      numeric(10, 2) NOT NULL,
    status      text           NOT NULL DEFAULT 'open'
);

INSERT INTO customers (id, name, email) VALUES
    (1, 'Ada Lovelace', 'ada@example.com'),
    (2, 'Grace Hopper', 'grace@example.com'),
    (3, 'Edsger Dijkstra', 'edsger@example.com')
ON CONFLICT (id) DO NOTHING;

INSERT INTO orders (id, customer_id, amount, status) VALUES
    (1, 1, 120.50, 'open'),
    (2, 1, 35.00, 'shipped'),
    (3, 2, 999.99, 'open')
ON CONFLICT (id) DO NOTHING;

GRANT USAGE ON SCHEMA public TO gateway_demo;
GRANT SELECT, INSERT, UPDATE, DELETE ON customers, orders TO gateway_demo;
