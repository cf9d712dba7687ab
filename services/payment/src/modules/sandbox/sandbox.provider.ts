import { randomBytes } from 'node:crypto';
import type { FaultFlags } from '@shop/service-kit';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  ProviderError,
  ProviderOutageError,
} from '../payments/payment-provider.js';
import type { NewSandboxTransaction, SandboxRepository, SandboxRow } from './sandbox.repository.js';

/** Test payment-method tokens the sandbox understands. */
export const SANDBOX_TOKENS = ['tok_success', 'tok_decline', 'tok_async', 'tok_error'] as const;

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export interface SandboxProviderOptions {
  repository: SandboxRepository;
  /** How long `tok_async` stays pending before the dispatcher confirms it and sends the webhook. */
  asyncDelayMs: number;
  now: () => Date;
  /** `paymentSlow` delays every charge, `paymentFailure` fails that share of them (off without flags). */
  flags?: Pick<FaultFlags, 'delay' | 'roll'>;
}

function toResult(row: SandboxRow): ChargeResult {
  if (row.status === 'failed') {
    return {
      status: 'failed',
      providerRef: row.id,
      failureCode: row.failure_code ?? 'card_declined',
      failureMessage: row.failure_code === 'card_declined' ? 'The card was declined' : 'The payment failed',
    };
  }
  return { status: row.status, providerRef: row.id };
}

/** What the sandbox records for a charge with this payment method; `tok_error` records nothing. */
function chargeOutcome(
  o: SandboxProviderOptions,
  paymentMethod: string,
): Pick<NewSandboxTransaction, 'status' | 'failureCode' | 'webhookEventId' | 'webhookAt'> {
  switch (paymentMethod) {
    case 'tok_error':
      throw new ProviderError('sandbox provider answered 503 (tok_error)');
    case 'tok_success':
      return { status: 'succeeded' };
    case 'tok_async':
      return {
        status: 'pending',
        webhookEventId: newId('evt'),
        webhookAt: new Date(o.now().getTime() + o.asyncDelayMs),
      };
    case 'tok_decline':
      return { status: 'failed', failureCode: 'card_declined' };
    default:
      return { status: 'failed', failureCode: 'invalid_payment_method' };
  }
}

async function charge(o: SandboxProviderOptions, request: ChargeRequest): Promise<ChargeResult> {
  await o.flags?.delay('paymentSlow');
  if (await o.flags?.roll('paymentFailure')) {
    throw new ProviderOutageError('sandbox provider failed the charge (paymentFailure flag)');
  }
  const outcome = chargeOutcome(o, request.paymentMethod);
  const row = await o.repository.insertOrGet({
    id: newId('ch'),
    kind: 'charge',
    reference: request.reference,
    amount: request.amount,
    currency: request.currency,
    paymentMethod: request.paymentMethod,
    ...outcome,
  });
  return toResult(row);
}

/**
 * The built-in provider. It runs in-process and keeps its own ledger in
 * `payments.sandbox_transactions` — the "provider records" reconciliation compares against.
 * `tok_success` captures, `tok_decline` declines, `tok_async` stays pending and is confirmed later
 * by a signed webhook, `tok_error` behaves like a provider 5xx (nothing recorded).
 */
export function createSandboxProvider(o: SandboxProviderOptions): PaymentProvider {
  return {
    name: 'sandbox',
    charge: (request) => charge(o, request),
    async refund(request) {
      const row = await o.repository.insertOrGet({
        id: newId('re'),
        kind: 'refund',
        reference: request.reference,
        chargeId: request.chargeRef,
        amount: request.amount,
        currency: request.currency,
        status: 'succeeded',
      });
      return { status: row.status === 'failed' ? 'failed' : 'succeeded', providerRef: row.id };
    },
    async findCharge(reference) {
      const row = await o.repository.findByReference('charge', reference);
      return row ? toResult(row) : null;
    },
    async listTransactions(from, to) {
      const rows = await o.repository.listCreatedBetween(from, to);
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        reference: r.reference,
        amount: Number(r.amount),
        currency: r.currency,
        status: r.status,
        createdAt: r.created_at,
      }));
    },
  };
}
