// Request/response/event schemas shared across services (zod). One file per domain.

export * from './events.js';
export * from './grpc.js';
export * from './inventory.js';
