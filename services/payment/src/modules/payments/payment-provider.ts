/** What the payment service needs from a payment provider; the sandbox is the built-in one. */
export interface ChargeRequest {
  /** Merchant reference (the payment id); the provider is idempotent on it. */
  reference: string;
  amount: number;
  currency: string;
  paymentMethod: string;
}

export type ChargeResult =
  | { status: 'succeeded' | 'pending'; providerRef: string }
  | { status: 'failed'; providerRef: string | null; failureCode: string; failureMessage: string };

export interface RefundRequest {
  reference: string;
  chargeRef: string;
  amount: number;
  currency: string;
}

export interface ProviderTransaction {
  id: string;
  kind: 'charge' | 'refund';
  reference: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed';
  createdAt: Date;
}

/** The provider answered 5xx or could not be reached. */
export class ProviderError extends Error {
  override name = 'ProviderError';
}

/**
 * The provider failed while the payment API waited for it (the `paymentFailure` fault flag): the API
 * answers 502 and leaves the payment processing; recovery asks the provider again later.
 */
export class ProviderOutageError extends ProviderError {
  override name = 'ProviderOutageError';
}

export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<{ status: 'succeeded' | 'failed'; providerRef: string }>;
  /** The provider's record of a charge by merchant reference, or null when it never saw it. */
  findCharge(reference: string): Promise<ChargeResult | null>;
  /** Transactions (any status) created in [from, to), for reconciliation. */
  listTransactions(from: Date, to: Date): Promise<ProviderTransaction[]>;
}
