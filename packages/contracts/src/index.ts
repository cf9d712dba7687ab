// Request/response/event schemas shared across services (zod). One file per domain.
export * from './inventory.js';
export * from './events.js';
