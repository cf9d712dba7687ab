-- pgbench replay of the checkout saga's database work for one order (quantity 1 of product :product),
-- statement for statement and transaction for transaction as the repositories issue them:
--   services/order/src/modules/orders/orders.repository.ts      (insertPending, markPriced, transition)
--   services/product/src/modules/inventory/inventory.repository.ts (reserve, commit)
--   services/payment/src/modules/payments/payments.repository.ts  (insert, applyOutcome)
--   services/payment/src/modules/sandbox/sandbox.repository.ts    (insert charge)
--   packages/events/src/events.repository.ts                      (outbox add/markPublished, processed_events)
-- Reads that only return rows to the caller (loadReservation, findById…) are left out: this is the floor.
SELECT gen_random_uuid()::text AS oid, gen_random_uuid()::text AS pid, gen_random_uuid()::text AS ev1, gen_random_uuid()::text AS ev2 \gset
-- order: PENDING order and its items
BEGIN;
INSERT INTO orders.orders (id, user_id, status, payment_method, idempotency_key, request_hash, expires_at)
  VALUES (:oid::uuid, 'bench-user', 'PENDING', 'tok_success', NULL, 'h', now() + interval '15 minutes')
  ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id;
INSERT INTO orders.order_items (order_id, product_id, quantity)
  SELECT :oid::uuid, p, q FROM unnest(ARRAY[:product]::bigint[], ARRAY[1]::int[]) AS t(p, q);
COMMIT;
-- product: reservation (claim, lock product rows, take stock, lines, totals)
BEGIN;
INSERT INTO catalog.reservations (order_id, status, currency, total_amount, expires_at)
  VALUES (:oid, 'RESERVED', 'XXX', 0, now() + interval '15 minutes') ON CONFLICT (order_id) DO NOTHING;
SELECT id, price_amount, currency, stock, status FROM catalog.products
  WHERE id = ANY(ARRAY[:product]::bigint[]) AND deleted_at IS NULL ORDER BY id FOR UPDATE;
UPDATE catalog.products p SET stock = p.stock - v.quantity, version = p.version + 1, updated_at = now()
  FROM unnest(ARRAY[:product]::bigint[], ARRAY[1]::integer[]) AS v(id, quantity) WHERE p.id = v.id AND p.stock >= v.quantity;
INSERT INTO catalog.reservation_items (order_id, product_id, quantity, unit_price, currency)
  SELECT :oid, v.id, v.quantity, p.price_amount, p.currency
  FROM unnest(ARRAY[:product]::bigint[], ARRAY[1]::integer[]) AS v(id, quantity) JOIN catalog.products p ON p.id = v.id;
UPDATE catalog.reservations r SET currency = t.currency, total_amount = t.total
  FROM (SELECT min(currency) AS currency, sum(unit_price * quantity) AS total FROM catalog.reservation_items WHERE order_id = :oid) t
  WHERE r.order_id = :oid;
COMMIT;
-- order: priced → AWAITING_PAYMENT
BEGIN;
UPDATE orders.orders SET status = 'AWAITING_PAYMENT', total_amount = 1000, currency = 'USD', updated_at = now()
  WHERE id = :oid::uuid AND status = 'PENDING';
UPDATE orders.order_items SET unit_price = 1000, line_total = 1000, name = 'n', sku = 's', quantity = 1
  WHERE order_id = :oid::uuid AND product_id = :product;
COMMIT;
-- payment: intent, sandbox charge, outcome + outbox event
INSERT INTO payments.payments (id, order_id, idempotency_key, request_hash, amount, currency, payment_method, status, provider)
  VALUES (:pid::uuid, :oid, :oid, 'h', 1000, 'USD', 'tok_success', 'processing', 'sandbox') ON CONFLICT DO NOTHING RETURNING id;
INSERT INTO payments.sandbox_transactions (id, kind, reference, charge_id, amount, currency, status, payment_method, failure_code, webhook_pending, webhook_event_id, next_webhook_at)
  VALUES ('ch_' || :pid, 'charge', :pid, NULL, 1000, 'USD', 'succeeded', 'tok_success', NULL, false, NULL, NULL) ON CONFLICT (kind, reference) DO NOTHING RETURNING id;
BEGIN;
UPDATE payments.payments SET status = 'succeeded', provider_ref = COALESCE('ch_' || :pid, provider_ref), failure_code = NULL, failure_message = NULL,
    captured_at = now(), updated_at = now()
  WHERE id = :pid::uuid AND status IN ('processing', 'pending') RETURNING id;
INSERT INTO payments.outbox (id, stream, type, aggregate_id, envelope) VALUES (:ev1::uuid, 'payments', 'payment.succeeded', :pid, jsonb_build_object('bench', 1));
COMMIT;
UPDATE payments.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(ARRAY[:ev1]::uuid[]);
UPDATE orders.orders SET payment_id = :pid::uuid, updated_at = now() WHERE id = :oid::uuid AND payment_id IS NULL;
-- order: payment result consumed → PAID + outbox event
BEGIN;
INSERT INTO orders.processed_events (consumer, event_id, event_type) VALUES ('order', :ev1::uuid, 'payment.succeeded') ON CONFLICT (consumer, event_id) DO NOTHING;
UPDATE orders.orders SET status = 'PAID', payment_id = COALESCE(:pid::uuid, payment_id), paid_at = now(), updated_at = now()
  WHERE id = :oid::uuid AND status = ANY(ARRAY['AWAITING_PAYMENT']::text[]) RETURNING id;
INSERT INTO orders.outbox (id, stream, type, aggregate_id, envelope) VALUES (:ev2::uuid, 'orders', 'order.paid', :oid, jsonb_build_object('bench', 1));
COMMIT;
UPDATE orders.outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(ARRAY[:ev2]::uuid[]);
-- product: order.paid consumed → reservation COMMITTED
BEGIN;
INSERT INTO catalog.processed_events (consumer, event_id, event_type) VALUES ('product', :ev2::uuid, 'order.paid') ON CONFLICT (consumer, event_id) DO NOTHING;
SELECT status, expires_at FROM catalog.reservations WHERE order_id = :oid FOR UPDATE;
UPDATE catalog.reservations SET status = 'COMMITTED', updated_at = now() WHERE order_id = :oid;
COMMIT;
