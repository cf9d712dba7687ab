-- pgbench replay of the checkout saga's database work for one order (quantity 1 of product :product),
-- statement for statement and transaction for transaction as the repositories issue them:
--   services/order/src/modules/orders/orders.statements.ts        (insertPending, markPriced, setPaymentId, transition)
--   services/product/src/modules/inventory/inventory.reserve.ts   (reserve: ONE statement)
--   services/product/src/modules/inventory/inventory.queries.ts   (commit: commitIfReserved)
--   services/payment/src/modules/payments/payments.repository.ts  (insertProcessing, applyOutcome)
--   services/payment/src/modules/sandbox/sandbox.repository.ts    (insert charge)
--   packages/events/src/events.repository.ts                      (outbox insert + pg_notify, markPublished, processed_events)
-- A line without BEGIN/COMMIT around it is a statement on its own (autocommit), as the repository sends it.
-- (The services send an outbox INSERT in the same round trip as its COMMIT; pgbench sends them as two.)
-- Reads that only answer the caller (findByIdempotencyKey on a keyed retry, GETs) are left out, and the
-- relay's batch lock is amortised: this is the floor.
SELECT gen_random_uuid()::text AS oid, gen_random_uuid()::text AS pid, gen_random_uuid()::text AS ev1, gen_random_uuid()::text AS ev2 \gset
-- order: PENDING order and its lines (orders_insert_pending)
WITH placed AS (
  INSERT INTO orders.orders (id, user_id, status, payment_method, idempotency_key, request_hash, expires_at)
  VALUES (:oid::uuid, 'bench-user', 'PENDING', 'tok_success', NULL, 'h', now() + interval '15 minutes')
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at
), lines AS (
  INSERT INTO orders.order_items (order_id, product_id, quantity)
  SELECT placed.id, p, q FROM placed, unnest(ARRAY[:product]::bigint[], ARRAY[1]::int[]) AS t(p, q)
)
SELECT * FROM placed;
-- product: the reservation (inventory_reserve): lock in id order, check, claim, take stock, lines, total
WITH req AS (
  SELECT id, quantity FROM unnest(ARRAY[:product]::bigint[], ARRAY[1]::integer[]) AS v(id, quantity)
), locked AS (
  SELECT id, price_amount, currency, stock, status, sku, name FROM catalog.products
   WHERE id = ANY(ARRAY[:product]::bigint[]) AND deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM catalog.reservations WHERE order_id = :oid)
   ORDER BY id FOR UPDATE
), priced AS (
  SELECT l.id, r.quantity, l.price_amount, l.currency, l.sku, l.name
    FROM req r JOIN locked l ON l.id = r.id
   WHERE l.status = 'active' AND l.stock >= r.quantity
), verdict AS (
  SELECT (SELECT count(*) FROM priced) = cardinality(ARRAY[:product]::bigint[])
     AND (SELECT count(DISTINCT currency) FROM locked) <= 1 AS ok
), claim AS (
  INSERT INTO catalog.reservations (order_id, status, currency, total_amount, expires_at)
  SELECT :oid, 'RESERVED', min(currency), sum(price_amount * quantity), now() + interval '20 minutes' FROM priced
  HAVING (SELECT ok FROM verdict)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id, status, currency, total_amount, expires_at, created_at, updated_at
), taken AS (
  UPDATE catalog.products p SET stock = p.stock - r.quantity, version = p.version + 1, updated_at = now()
    FROM priced r WHERE p.id = r.id AND EXISTS (SELECT 1 FROM claim)
  RETURNING p.id
), recorded AS (
  INSERT INTO catalog.reservation_items (order_id, product_id, quantity, unit_price, currency)
  SELECT :oid, r.id, r.quantity, r.price_amount, r.currency FROM priced r WHERE EXISTS (SELECT 1 FROM claim)
)
SELECT (SELECT ok FROM verdict) AS ok,
       (SELECT json_agg(json_build_object('id', id, 'price_amount', price_amount, 'currency', currency,
                                          'stock', stock, 'status', status) ORDER BY id) FROM locked) AS products,
       (SELECT json_agg(json_build_object('product_id', id, 'sku', sku, 'name', name, 'quantity', quantity,
                                          'unit_price', price_amount, 'currency', currency) ORDER BY id)
          FROM priced) AS lines,
       c.order_id, c.status, c.currency, c.total_amount, c.expires_at, c.created_at, c.updated_at
  FROM (SELECT 1) AS one LEFT JOIN claim c ON true;
-- order: priced → AWAITING_PAYMENT with the lines' prices (orders_mark_priced)
WITH priced AS (
  UPDATE orders.orders SET status = 'AWAITING_PAYMENT', total_amount = 1000, currency = 'USD', updated_at = now()
   WHERE id = :oid::uuid AND status = 'PENDING'
  RETURNING id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at
), lines AS (
  UPDATE orders.order_items i
     SET unit_price = v.unit_price, line_total = v.line_total, name = v.name, sku = v.sku, quantity = v.quantity
    FROM unnest(ARRAY[:product]::bigint[], ARRAY[1]::int[], ARRAY[1000]::bigint[], ARRAY[1000]::bigint[], ARRAY['n']::text[], ARRAY['s']::text[])
         AS v(product_id, quantity, unit_price, line_total, name, sku)
   WHERE i.order_id = :oid::uuid AND i.product_id = v.product_id AND EXISTS (SELECT 1 FROM priced)
)
SELECT * FROM priced;
-- payment: intent, sandbox charge, outcome + outbox event
INSERT INTO payments.payments (id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider)
  VALUES (:pid::uuid, :oid, :oid, 'h', 1000, 'USD', 'tok_success', 'processing', 'sandbox') ON CONFLICT DO NOTHING
  RETURNING id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider,
  provider_ref, failure_code, failure_message, refunded_amount, captured_at, created_at, updated_at;
INSERT INTO payments.sandbox_transactions (id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code, webhook_pending, webhook_event_id, next_webhook_at)
  VALUES ('ch_' || :pid, 'charge', :pid, NULL, 1000, 'USD', 'succeeded', 'tok_success', NULL, false, NULL, NULL) ON CONFLICT (kind, reference) DO NOTHING
  RETURNING id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code,
  webhook_event_id, webhook_attempts, created_at;
BEGIN;
UPDATE payments.payments
   SET status = 'succeeded', provider_ref = COALESCE('ch_' || :pid, provider_ref), failure_code = NULL, failure_message = NULL,
       captured_at = CASE WHEN 'succeeded' = 'succeeded' THEN now() ELSE captured_at END, updated_at = now()
 WHERE id = :pid::uuid AND status IN ('processing', 'pending')
 RETURNING id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider,
  provider_ref, failure_code, failure_message, refunded_amount, captured_at, created_at, updated_at;
WITH inserted AS (
  INSERT INTO payments.outbox (id, stream, type, aggregate_id, envelope) VALUES (:ev1::uuid, 'payments', 'payment.succeeded', :pid, jsonb_build_object('bench', 1))
  RETURNING 1
)
SELECT pg_notify('payments_outbox', '') FROM inserted;
COMMIT;
UPDATE payments.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(ARRAY[:ev1]::uuid[]);
-- order: the payment id, returning the order with its lines for the 201 (orders_set_payment_id)
WITH o AS (
  UPDATE orders.orders SET payment_id = :pid::uuid, updated_at = now() WHERE id = :oid::uuid AND payment_id IS NULL
  RETURNING id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at
)
SELECT id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at, (SELECT coalesce(json_agg(json_build_object(
            'order_id', i.order_id, 'product_id', i.product_id::text, 'quantity', i.quantity,
            'unit_price', i.unit_price::text, 'line_total', i.line_total::text, 'name', i.name, 'sku', i.sku)
            ORDER BY i.product_id), '[]'::json)
      FROM orders.order_items i WHERE i.order_id = o.id) AS items FROM o;
-- order: payment result consumed → PAID returning the order with its lines (orders_transition), outbox event
BEGIN;
INSERT INTO orders.processed_events (consumer, event_id, event_type) VALUES ('order-service', :ev1::uuid, 'payment.succeeded') ON CONFLICT (consumer, event_id) DO NOTHING;
WITH o AS (
  UPDATE orders.orders
     SET status = 'PAID',
         payment_id = COALESCE(:pid::uuid, payment_id),
         failure_reason = COALESCE(NULL, failure_reason),
         paid_at = CASE WHEN 'PAID' = 'PAID' THEN now() ELSE paid_at END,
         cancelled_at = CASE WHEN 'PAID' IN ('CANCELLED', 'REFUNDED', 'EXPIRED') THEN now() ELSE cancelled_at END,
         updated_at = now()
   WHERE id = :oid::uuid AND status = ANY(ARRAY['AWAITING_PAYMENT', 'PENDING']::text[])
  RETURNING id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at
)
SELECT id, user_id, status, currency, total_amount, payment_method, payment_id, idempotency_key, request_hash,
  failure_reason, expires_at, paid_at, cancelled_at, created_at, updated_at, (SELECT coalesce(json_agg(json_build_object(
            'order_id', i.order_id, 'product_id', i.product_id::text, 'quantity', i.quantity,
            'unit_price', i.unit_price::text, 'line_total', i.line_total::text, 'name', i.name, 'sku', i.sku)
            ORDER BY i.product_id), '[]'::json)
      FROM orders.order_items i WHERE i.order_id = o.id) AS items FROM o;
WITH inserted AS (
  INSERT INTO orders.outbox (id, stream, type, aggregate_id, envelope) VALUES (:ev2::uuid, 'orders', 'order.paid', :oid, jsonb_build_object('bench', 1))
  RETURNING 1
)
SELECT pg_notify('orders_outbox', '') FROM inserted;
COMMIT;
UPDATE orders.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(ARRAY[:ev2]::uuid[]);
-- product: order.paid consumed → reservation COMMITTED in one statement (inventory_commit_if_reserved; the
-- consumer's dedup row is its own transaction on another connection, replayed after it)
WITH r AS (
  UPDATE catalog.reservations SET status = 'COMMITTED', updated_at = now()
   WHERE order_id = :oid AND status = 'RESERVED' AND expires_at > now()
  RETURNING order_id, status, currency, total_amount, expires_at, created_at, updated_at)
SELECT r.order_id, r.status, r.currency, r.total_amount, r.expires_at, r.created_at, r.updated_at,
       (SELECT json_agg(json_build_object('product_id', ri.product_id, 'sku', p.sku, 'name', p.name,
          'quantity', ri.quantity, 'unit_price', ri.unit_price, 'currency', ri.currency) ORDER BY ri.product_id)
     FROM catalog.reservation_items ri JOIN catalog.products p ON p.id = ri.product_id
    WHERE ri.order_id = r.order_id) AS lines FROM r;
BEGIN;
INSERT INTO catalog.processed_events (consumer, event_id, event_type) VALUES ('product-service', :ev2::uuid, 'order.paid') ON CONFLICT (consumer, event_id) DO NOTHING;
COMMIT;
