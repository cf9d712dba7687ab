export { assertSchemaName, eventTablesSql, outboxChannel, type Queryable } from './events.repository.js';
export { type EventsLogger, silentLogger } from './logger.js';
export { type NewEvent, Outbox } from './outbox.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
export { type EventHandler, StreamConsumer, type StreamConsumerOptions } from './stream-consumer.js';
export { deadLetterKey, streamKey } from './streams.js';
export {
  captureTraceContext,
  contextFromCarrier,
  type TraceCarrier,
  withConsumerSpan,
} from './trace-context.js';
