import { createHash } from 'node:crypto';
import type { PaymentRow, RefundRow } from './payments.repository.js';

/** What the service hands to its routes: a payment as the API shows it (amounts in minor units). */
export interface Payment {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  payment_method: string;
  status: PaymentRow['status'];
  provider: string;
  provider_ref: string | null;
  failure_code: string | null;
  failure_message: string | null;
  refunded_amount: number;
  captured_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Refund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  provider_ref: string | null;
  reason: string | null;
  created_at: string;
}

export interface CreatePaymentInput {
  order_id: string;
  amount: number;
  currency: string;
  payment_method: string;
}

export const toPayment = (r: PaymentRow): Payment => ({
  id: r.id,
  order_id: r.order_id,
  amount: Number(r.amount),
  currency: r.currency.trim(),
  payment_method: r.payment_method,
  status: r.status,
  provider: r.provider,
  provider_ref: r.provider_ref,
  failure_code: r.failure_code,
  failure_message: r.failure_message,
  refunded_amount: Number(r.refunded_amount),
  captured_at: r.captured_at?.toISOString() ?? null,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

export const toRefund = (r: RefundRow): Refund => ({
  id: r.id,
  payment_id: r.payment_id,
  amount: Number(r.amount),
  currency: r.currency.trim(),
  status: r.status,
  provider_ref: r.provider_ref,
  reason: r.reason,
  created_at: r.created_at.toISOString(),
});

/** Fingerprint of a request body, to tell a retry (same body) from a reused key (different body). */
export const requestHash = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** Logs the service writes besides its errors (recoveries, provider failures). */
export interface PaymentsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
