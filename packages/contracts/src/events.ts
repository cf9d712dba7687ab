// Event envelopes and payloads (outbox -> Redis Streams). Owned by the order/payment work.
export {};
