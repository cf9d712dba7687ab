-- Orders and their lines, the transactional outbox and the processed-events table of the payment
-- callback consumer. Money is integer minor units + ISO 4217 currency; prices are copied from the
-- product service's reservation, never from the client.
CREATE SCHEMA IF NOT EXISTS orders;

CREATE TABLE orders.orders (
  id              uuid PRIMARY KEY,
  user_id         text        NOT NULL,
  status          text        NOT NULL CHECK (status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED', 'REFUNDED')),
  currency        char(3),
  total_amount    bigint      CHECK (total_amount >= 0),
  payment_method  text        NOT NULL,
  payment_id      uuid,
  idempotency_key text,
  request_hash    text        NOT NULL,
  failure_reason  text,
  expires_at      timestamptz NOT NULL,
  paid_at         timestamptz,
  cancelled_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- Idempotency keys are scoped to the user.
  CONSTRAINT orders_user_idempotency_uq UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user_created_idx ON orders.orders (user_id, created_at DESC, id DESC);
-- The expiry sweeper only looks at orders that can still expire.
CREATE INDEX orders_expiry_idx ON orders.orders (expires_at) WHERE status IN ('PENDING', 'AWAITING_PAYMENT');

CREATE TABLE orders.order_items (
  order_id    uuid    NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
  product_id  bigint  NOT NULL,
  quantity    integer NOT NULL CHECK (quantity > 0),
  unit_price  bigint  CHECK (unit_price >= 0),
  line_total  bigint  CHECK (line_total >= 0),
  name        text,
  sku         text,
  PRIMARY KEY (order_id, product_id)
);

-- Transactional outbox and consumer dedup (see @shop/events).
CREATE TABLE orders.outbox (
  id            uuid PRIMARY KEY,
  stream        text        NOT NULL,
  type          text        NOT NULL,
  aggregate_id  text        NOT NULL,
  envelope      jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  attempts      integer     NOT NULL DEFAULT 0,
  last_error    text
);
CREATE INDEX outbox_unpublished_idx ON orders.outbox (created_at) WHERE published_at IS NULL;
CREATE TABLE orders.processed_events (
  consumer      text        NOT NULL,
  event_id      uuid        NOT NULL,
  event_type    text        NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
