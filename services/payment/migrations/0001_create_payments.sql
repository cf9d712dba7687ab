-- Payment intents, refunds, processed webhook events, the sandbox provider's own ledger, and the
-- transactional outbox. Money is integer minor units + ISO 4217 currency.
CREATE SCHEMA IF NOT EXISTS payments;

CREATE TABLE payments.payments (
  id              uuid PRIMARY KEY,
  order_id        text        NOT NULL,
  idempotency_key text        NOT NULL,
  request_hash    text        NOT NULL,
  amount          bigint      NOT NULL CHECK (amount > 0),
  currency        char(3)     NOT NULL,
  payment_method  text        NOT NULL,
  status          text        NOT NULL CHECK (status IN ('processing', 'pending', 'succeeded', 'failed', 'partially_refunded', 'refunded')),
  provider        text        NOT NULL,
  provider_ref    text,
  failure_code    text,
  failure_message text,
  refunded_amount bigint      NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  captured_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_idempotency_key_uq UNIQUE (idempotency_key)
);
-- At most one capture per order: a payment that is in flight or has captured blocks any other.
CREATE UNIQUE INDEX payments_one_live_per_order_uq ON payments.payments (order_id)
  WHERE status IN ('processing', 'pending', 'succeeded', 'partially_refunded', 'refunded');
CREATE INDEX payments_order_idx ON payments.payments (order_id);
CREATE INDEX payments_captured_idx ON payments.payments (captured_at) WHERE captured_at IS NOT NULL;
CREATE INDEX payments_processing_idx ON payments.payments (updated_at) WHERE status = 'processing';

CREATE TABLE payments.refunds (
  id              uuid PRIMARY KEY,
  payment_id      uuid        NOT NULL REFERENCES payments.payments (id),
  idempotency_key text        NOT NULL,
  request_hash    text        NOT NULL,
  amount          bigint      NOT NULL CHECK (amount > 0),
  currency        char(3)     NOT NULL,
  status          text        NOT NULL CHECK (status IN ('succeeded', 'failed')),
  provider_ref    text,
  reason          text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT refunds_idempotency_uq UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX refunds_created_idx ON payments.refunds (created_at);

-- Provider webhook events already applied: each provider event id is processed once.
CREATE TABLE payments.webhook_events (
  provider    text        NOT NULL,
  event_id    text        NOT NULL,
  event_type  text        NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- The sandbox provider's own records (what a real provider would report for reconciliation).
CREATE TABLE payments.sandbox_transactions (
  id                 text PRIMARY KEY,
  kind               text        NOT NULL CHECK (kind IN ('charge', 'refund')),
  reference          text        NOT NULL,
  charge_id          text,
  amount             bigint      NOT NULL CHECK (amount > 0),
  currency           char(3)     NOT NULL,
  status             text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  payment_method     text,
  failure_code       text,
  webhook_pending    boolean     NOT NULL DEFAULT false,
  webhook_event_id   text,
  next_webhook_at    timestamptz,
  webhook_attempts   integer     NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  -- The provider is idempotent on the merchant reference (payment id / refund id).
  CONSTRAINT sandbox_reference_uq UNIQUE (kind, reference)
);
CREATE INDEX sandbox_webhooks_due_idx ON payments.sandbox_transactions (next_webhook_at) WHERE webhook_pending;
CREATE INDEX sandbox_created_idx ON payments.sandbox_transactions (created_at);

-- Transactional outbox (see @shop/events).
CREATE TABLE payments.outbox (
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
CREATE INDEX outbox_unpublished_idx ON payments.outbox (created_at) WHERE published_at IS NULL;
CREATE TABLE payments.processed_events (
  consumer      text        NOT NULL,
  event_id      uuid        NOT NULL,
  event_type    text        NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
