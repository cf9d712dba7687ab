// How a payment reaches its final status: the provider's answer to the charge, a signed webhook
// for async methods, or the recovery of a payment whose process died mid-charge. Each outcome is
// applied once (only a non-final payment changes) together with its event in the outbox.
import { EVENT_STREAMS, PAYMENT_EVENT_TYPES } from '@shop/contracts';
import {
  type ChargeResult,
  type PaymentProvider,
  ProviderError,
  ProviderOutageError,
} from './payment-provider.js';
import { providerUnavailable } from './payments.errors.js';
import { type Payment, type PaymentsLogger, toPayment } from './payments.model.js';
import type { PaymentRow, PaymentsRepository, PaymentsTransaction } from './payments.repository.js';

export interface ProviderWebhookEvent {
  id: string;
  type: 'charge.succeeded' | 'charge.failed';
  data: { reference: string; charge_id: string; status: string };
}

export interface PaymentSettlement {
  /** Charges a freshly inserted `processing` payment and applies the provider's answer. */
  charge(row: PaymentRow): Promise<Payment>;
  /** Applies a provider outcome once, with its event; undefined when the payment was already final. */
  applyOutcome(paymentId: string, result: ChargeResult): Promise<Payment | undefined>;
  /** Resolves payments left `processing` for longer than `olderThanMs`; returns how many. */
  recoverStuck(olderThanMs: number): Promise<number>;
  /** Applies a verified provider webhook once per provider event id. */
  handleWebhook(event: ProviderWebhookEvent): Promise<{ duplicate: boolean; payment?: Payment }>;
}

export interface PaymentSettlementDeps {
  payments: PaymentsRepository;
  provider: PaymentProvider;
  logger: PaymentsLogger;
  now: () => Date;
}

// The provider is idempotent on `reference` (the payment id), so a charge may be sent again safely.
const chargeRequestOf = (row: PaymentRow) => ({
  reference: row.id,
  amount: Number(row.amount),
  currency: row.currency.trim(),
  paymentMethod: row.payment_method,
});

/** The event a settled payment emits (`payment.succeeded` / `payment.failed`); none while it is open. */
function resultEvent(p: Payment) {
  const base = { payment_id: p.id, order_id: p.order_id, amount: p.amount, currency: p.currency };
  const event = { stream: EVENT_STREAMS.payments, aggregateId: p.order_id };
  if (p.status === 'succeeded') {
    return {
      ...event,
      type: PAYMENT_EVENT_TYPES.succeeded,
      data: { ...base, provider: p.provider, provider_ref: p.provider_ref },
    };
  }
  if (p.status === 'failed') {
    return {
      ...event,
      type: PAYMENT_EVENT_TYPES.failed,
      data: { ...base, failure_code: p.failure_code ?? 'failed', failure_message: p.failure_message },
    };
  }
  return undefined;
}

/** What a verified webhook says about the charge it names. */
const webhookResult = (event: ProviderWebhookEvent): ChargeResult =>
  event.type === 'charge.succeeded'
    ? { status: 'succeeded', providerRef: event.data.charge_id }
    : {
        status: 'failed',
        providerRef: event.data.charge_id,
        failureCode: 'provider_declined',
        failureMessage: 'The provider reported the charge as failed',
      };

// The sandbox's tok_error never charges, so a provider 5xx is a failed payment (with its event);
// a real provider that might have charged anyway is caught by reconciliation as "missing".
function providerFailure(logger: PaymentsLogger, err: unknown): ChargeResult {
  if (!(err instanceof ProviderError)) throw err;
  logger.warn({ err }, 'payment provider error');
  return {
    status: 'failed',
    providerRef: null,
    failureCode: 'provider_error',
    failureMessage: 'The payment provider is unavailable',
  };
}

/** The outcome on the payment row and, once it is final, its event — both in `tx`. */
async function applyIn(tx: PaymentsTransaction, paymentId: string, result: ChargeResult) {
  const updated = await tx.applyOutcome(paymentId, {
    status: result.status,
    providerRef: result.providerRef,
    ...(result.status === 'failed'
      ? { failureCode: result.failureCode, failureMessage: result.failureMessage }
      : {}),
  });
  if (!updated) return undefined;
  const payment = toPayment(updated);
  const event = resultEvent(payment);
  if (event) await tx.enqueue(event);
  return payment;
}

async function charge(deps: PaymentSettlementDeps, row: PaymentRow): Promise<Payment> {
  let result: ChargeResult;
  try {
    result = await deps.provider.charge(chargeRequestOf(row));
  } catch (err) {
    // Outcome unknown to the caller: 502, the payment stays processing and recovery settles it.
    if (err instanceof ProviderOutageError) throw providerUnavailable(err.message);
    result = providerFailure(deps.logger, err);
  }
  const applied = await deps.payments.transaction((tx) => applyIn(tx, row.id, result));
  return applied ?? toPayment((await deps.payments.findById(row.id))!);
}

/**
 * Asks the provider for its record of each stuck payment (charging again is safe, the provider is
 * idempotent on the payment id) and applies it; the rows stay locked so one replica handles each.
 */
function recoverStuck(deps: PaymentSettlementDeps, olderThanMs: number): Promise<number> {
  const cutoff = new Date(deps.now().getTime() - olderThanMs);
  return deps.payments.transaction(async (tx) => {
    const stuck = await tx.lockStuckProcessing(cutoff, 20);
    for (const row of stuck) {
      let result: ChargeResult;
      try {
        result =
          (await deps.provider.findCharge(row.id)) ?? (await deps.provider.charge(chargeRequestOf(row)));
      } catch (err) {
        result = providerFailure(deps.logger, err);
      }
      await applyIn(tx, row.id, result);
      deps.logger.info({ payment_id: row.id, status: result.status }, 'recovered a stuck payment');
    }
    return stuck.length;
  });
}

function handleWebhook(deps: PaymentSettlementDeps, event: ProviderWebhookEvent) {
  return deps.payments.transaction(async (tx) => {
    const fresh = await tx.recordWebhookEvent(deps.provider.name, event.id, event.type);
    if (!fresh) return { duplicate: true };
    const payment = await applyIn(tx, event.data.reference, webhookResult(event));
    return payment ? { duplicate: false, payment } : { duplicate: false };
  });
}

export function createPaymentSettlement(deps: PaymentSettlementDeps): PaymentSettlement {
  return {
    charge: (row) => charge(deps, row),
    applyOutcome: (paymentId, result) => deps.payments.transaction((tx) => applyIn(tx, paymentId, result)),
    recoverStuck: (olderThanMs) => recoverStuck(deps, olderThanMs),
    handleWebhook: (event) => handleWebhook(deps, event),
  };
}
