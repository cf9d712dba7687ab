import { type BackgroundWorker, createBackgroundLoop, type OutageLogger } from '@shop/service-kit';
import type { SandboxRepository, SandboxRow } from './sandbox.repository.js';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature.js';

export interface SandboxWebhookEvent {
  id: string;
  type: 'charge.succeeded' | 'charge.failed';
  created: number;
  data: { charge_id: string; reference: string; amount: number; currency: string; status: string };
}

export interface DispatcherOptions {
  repository: SandboxRepository;
  webhookUrl: string;
  signingKey: string;
  pollIntervalMs: number;
  now: () => Date;
  logger: OutageLogger;
  fetch?: typeof fetch;
}

export interface SandboxWebhookDispatcher extends BackgroundWorker {
  /** Delivers every due webhook once; returns how many were attempted. */
  runOnce(): Promise<number>;
}

const eventOf = (row: SandboxRow, now: Date): SandboxWebhookEvent => ({
  id: row.webhook_event_id ?? `evt_${row.id}`,
  type: row.status === 'failed' ? 'charge.failed' : 'charge.succeeded',
  created: Math.floor(now.getTime() / 1000),
  data: {
    charge_id: row.id,
    reference: row.reference,
    amount: Number(row.amount),
    currency: row.currency,
    status: row.status,
  },
});

/** POSTs one signed webhook; true when the payment service answered 2xx. */
async function deliver(o: DispatcherOptions, event: SandboxWebhookEvent): Promise<boolean> {
  const body = JSON.stringify(event);
  const signature = signPayload(o.signingKey, Math.floor(o.now().getTime() / 1000), body);
  try {
    const res = await (o.fetch ?? fetch)(o.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      body,
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch (err) {
    o.logger.warn({ err, event_id: event.id }, 'sandbox webhook delivery failed');
    return false;
  }
}

function runOnce(o: DispatcherOptions): Promise<number> {
  return o.repository.transaction(async (tx) => {
    const due = await tx.lockDueWebhooks(o.now(), 20);
    for (const row of due) {
      if (row.status === 'pending') {
        await tx.confirmPending(row.id);
        row.status = 'succeeded';
      }
      if (await deliver(o, eventOf(row, o.now()))) await tx.markWebhookDelivered(row.id);
      else {
        const backoff = Math.min(60_000, 500 * 2 ** Math.min(row.webhook_attempts, 7));
        await tx.scheduleWebhookRetry(row.id, new Date(o.now().getTime() + backoff));
      }
    }
    return due.length;
  });
}

/**
 * The sandbox's "provider side" of async payments: when a pending charge is due it confirms it
 * in the sandbox ledger and POSTs a signed webhook to the payment service, retrying with backoff
 * until it gets a 2xx. State lives in the database, so a restart or another replica picks up
 * where a killed process left off; a database outage is logged once and retried with backoff.
 */
export function createSandboxWebhookDispatcher(o: DispatcherOptions): SandboxWebhookDispatcher {
  const loop = createBackgroundLoop({
    name: 'sandbox webhook dispatcher',
    logger: o.logger,
    intervalMs: o.pollIntervalMs,
    run: () => runOnce(o),
  });
  return {
    name: loop.name,
    runOnce: () => runOnce(o),
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
