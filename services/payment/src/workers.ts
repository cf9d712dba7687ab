import { OutboxRelay } from '@shop/events';
import { type BackgroundWorker, createBackgroundLoop, type ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { DB_SCHEMA } from './config.js';
import type { PaymentsService } from './modules/payments/payments.service.js';
import type { SandboxRepository } from './modules/sandbox/sandbox.repository.js';
import { createSandboxWebhookDispatcher } from './modules/sandbox/sandbox-webhook.dispatcher.js';

export interface PaymentWorkersDeps {
  kit: Pick<ServiceKit, 'logger' | 'registry'>;
  pool: pg.Pool;
  redis: Redis;
  payments: Pick<PaymentsService, 'recoverStuck'>;
  outboxPollIntervalMs: number;
  /** OUTBOX_LISTEN: wake the relay at commit (LISTEN/NOTIFY), else poll only. */
  outboxListen: boolean;
  /** false: events stay in the outbox until a process with the relay publishes them. */
  relayEnabled: boolean;
  /** Absent when the provider is not the sandbox. */
  sandbox?: { repository: SandboxRepository; webhookUrl: string; signingKey: string; pollIntervalMs: number };
  recovery: { afterMs: number; intervalMs: number };
  now: () => Date;
}

/**
 * Background work of every replica, in start order: the outbox relay, the sandbox's webhook
 * dispatcher and the recovery of payments left `processing` (the kit stops them in reverse). All
 * three are safe to run on several replicas and outlive PostgreSQL/Redis outages (logged once,
 * retried with backoff, resumed on recovery).
 */
export function createWorkers(deps: PaymentWorkersDeps): BackgroundWorker[] {
  const workers: BackgroundWorker[] = [];
  if (deps.relayEnabled) {
    const relay = new OutboxRelay({
      pool: deps.pool,
      redis: deps.redis,
      schema: DB_SCHEMA,
      pollIntervalMs: deps.outboxPollIntervalMs,
      listen: deps.outboxListen,
      logger: deps.kit.logger,
      registry: deps.kit.registry,
    });
    workers.push({ name: 'outbox relay', start: () => relay.start(), stop: () => relay.stop() });
  }
  if (deps.sandbox) {
    workers.push(createSandboxWebhookDispatcher({ ...deps.sandbox, now: deps.now, logger: deps.kit.logger }));
  }
  workers.push(
    createBackgroundLoop({
      name: 'payment recovery',
      logger: deps.kit.logger,
      intervalMs: deps.recovery.intervalMs,
      delayFirstRun: true,
      run: () => deps.payments.recoverStuck(deps.recovery.afterMs),
    }),
  );
  return workers;
}
