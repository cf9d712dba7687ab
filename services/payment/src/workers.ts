import { OutboxRelay } from '@shop/events';
import type { ServiceKit } from '@shop/service-kit';
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
 * recovery of payments left `processing`. All three are safe to run on several replicas.
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
  let stopped = false;
  let recovering: Promise<unknown> = Promise.resolve();
  const recoveryTimer = setInterval(() => {
    if (stopped) return;
    recovering = o.payments
      .recoverStuck(o.recovery.afterMs)
      .catch((err) => o.kit.logger.warn({ err }, 'payment recovery failed'));
  }, o.recovery.intervalMs);
  return {
    relay,
    ...(dispatcher ? { dispatcher } : {}),
    async stop() {
      stopped = true;
      clearInterval(recoveryTimer);
      await recovering;
      await dispatcher?.stop();
      await relay.stop();
    },
  };
}
