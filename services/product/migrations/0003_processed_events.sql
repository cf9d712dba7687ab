-- Dedup table of the inventory consumer (@shop/events StreamConsumer, group `product-service` on
-- the `orders` stream), as `eventTablesSql` defines it: an order event delivered again (relay crash
-- between XADD and COMMIT, reclaim after a consumer died) is recorded once and not handled twice.
CREATE TABLE catalog.processed_events (
  consumer      text        NOT NULL,
  event_id      uuid        NOT NULL,
  event_type    text        NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
