import { OutboxRelay } from '@shop/events';
import { createBackgroundLoop, type ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { PAYMENTS_SCHEMA } from './app.js';
import type { PaymentsService } from './modules/payments/payments.service.js';
import { SandboxWebhookDispatcher } from './modules/sandbox/sandbox-webhook.dispatcher.js';

export interface PaymentWorkersOptions {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  payments: PaymentsService;
  outboxPollIntervalMs: number;
  /** false: events stay in the outbox until a process with the relay publishes them. */
  relayEnabled?: boolean;
  /** Absent when the provider is not the sandbox. */
  sandbox?: { webhookUrl: string; signingKey: string; pollIntervalMs: number };
  recovery: { afterMs: number; intervalMs: number };
}

export interface PaymentWorkers {
  relay: OutboxRelay;
  dispatcher?: SandboxWebhookDispatcher;
  stop(): Promise<void>;
}

/**
 * Background work of every replica: the outbox relay, the sandbox's webhook dispatcher and the
 * recovery of payments left `processing`. All three are safe to run on several replicas and
 * outlive PostgreSQL/Redis outages (logged once, retried with backoff, resumed on recovery).
 */
export function startWorkers(o: PaymentWorkersOptions): PaymentWorkers {
  const relay = new OutboxRelay({
    pool: o.pool,
    redis: o.redis,
    schema: PAYMENTS_SCHEMA,
    pollIntervalMs: o.outboxPollIntervalMs,
    logger: o.kit.logger,
    registry: o.kit.registry,
  });
  if (o.relayEnabled !== false) relay.start();
  const dispatcher = o.sandbox
    ? new SandboxWebhookDispatcher({
        pool: o.pool,
        webhookUrl: o.sandbox.webhookUrl,
        signingKey: o.sandbox.signingKey,
        pollIntervalMs: o.sandbox.pollIntervalMs,
        logger: o.kit.logger,
      })
    : undefined;
  dispatcher?.start();
  const recovery = createBackgroundLoop({
    name: 'payment recovery',
    logger: o.kit.logger,
    intervalMs: o.recovery.intervalMs,
    delayFirstRun: true,
    run: () => o.payments.recoverStuck(o.recovery.afterMs),
  });
  recovery.start();
  return {
    relay,
    ...(dispatcher ? { dispatcher } : {}),
    async stop() {
      await recovery.stop();
      await dispatcher?.stop();
      await relay.stop();
    },
  };
}
