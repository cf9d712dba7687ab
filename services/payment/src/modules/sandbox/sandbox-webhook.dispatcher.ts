import {
  type BackgroundLoop,
  createBackgroundLoop,
  type OutageLogger,
  withTransaction,
} from '@shop/service-kit';
import type pg from 'pg';
import { SandboxRepository } from './sandbox.repository.js';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature.js';

export interface SandboxWebhookEvent {
  id: string;
  type: 'charge.succeeded' | 'charge.failed';
  created: number;
  data: { charge_id: string; reference: string; amount: number; currency: string; status: string };
}

export interface DispatcherOptions {
  pool: pg.Pool;
  webhookUrl: string;
  signingKey: string;
  pollIntervalMs: number;
  now?: () => Date;
  logger?: OutageLogger;
  fetch?: typeof fetch;
}

const silent: OutageLogger = { debug() {}, info() {}, warn() {} };

/**
 * The sandbox's "provider side" of async payments: when a pending charge is due it confirms it
 * in the sandbox ledger and POSTs a signed webhook to the payment service, retrying with backoff
 * until it gets a 2xx. State lives in the database, so a restart or another replica picks up
 * where a killed process left off; a database outage is logged once and retried with backoff.
 */
export class SandboxWebhookDispatcher {
  private readonly repo = new SandboxRepository();
  private readonly now: () => Date;
  private readonly loop: BackgroundLoop;

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
    this.loop = createBackgroundLoop({
      name: 'sandbox webhook dispatcher',
      logger: o.logger ?? silent,
      intervalMs: o.pollIntervalMs,
      run: () => this.runOnce(),
    });
  }

  /** Delivers every due webhook once; returns how many were attempted. */
  async runOnce(): Promise<number> {
    return withTransaction(this.o.pool, async (tx) => {
      const due = await this.repo.lockDueWebhooks(tx, this.now(), 20);
      for (const row of due) {
        if (row.status === 'pending') {
          await this.repo.confirmPending(tx, row.id);
          row.status = 'succeeded';
        }
        const event: SandboxWebhookEvent = {
          id: row.webhook_event_id ?? `evt_${row.id}`,
          type: row.status === 'failed' ? 'charge.failed' : 'charge.succeeded',
          created: Math.floor(this.now().getTime() / 1000),
          data: {
            charge_id: row.id,
            reference: row.reference,
            amount: Number(row.amount),
            currency: row.currency,
            status: row.status,
          },
        };
        const delivered = await this.deliver(event);
        if (delivered) await this.repo.markWebhookDelivered(tx, row.id);
        else {
          const backoff = Math.min(60_000, 500 * 2 ** Math.min(row.webhook_attempts, 7));
          await this.repo.scheduleWebhookRetry(tx, row.id, new Date(this.now().getTime() + backoff));
        }
      }
      return due.length;
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async deliver(event: SandboxWebhookEvent): Promise<boolean> {
    const body = JSON.stringify(event);
    const signature = signPayload(this.o.signingKey, Math.floor(this.now().getTime() / 1000), body);
    try {
      const res = await (this.o.fetch ?? fetch)(this.o.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch (err) {
      this.o.logger?.warn({ err, event_id: event.id }, 'sandbox webhook delivery failed');
      return false;
    }
  }
}
