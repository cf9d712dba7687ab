import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatMoney } from '../lib/money.js';
import { ApiError, describeError, isRetryable } from '../lib/problem.js';
import type { OrderStatus } from '../lib/shop-api.js';

let navigated = false;
/** Called by the router after the first page: later pages move focus to their heading. */
export function markNavigated(): void {
  navigated = true;
}

/** A page: sets the document title and, after a navigation, moves focus to the heading (screen readers). */
export function Page({ title, children }: { title: string; children?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Shop`;
  }, [title]);
  useEffect(() => {
    if (navigated) heading.current?.focus();
  }, []);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </>
  );
}

export function Money({
  amount,
  currency,
}: {
  amount: number | null | undefined;
  currency: string | null | undefined;
}) {
  if (amount === null || amount === undefined || !currency) return <span>—</span>;
  return <span class="money">{formatMoney(amount, currency)}</span>;
}

/** Order or cart totals, one line per currency (labelled with it only when there are several). */
export function Totals({
  totals,
  testId,
}: {
  totals: ReadonlyArray<{ currency: string | null; amount: number | null }>;
  testId: string;
}) {
  return (
    <dl class="totals">
      {totals.map((t) => (
        <div key={t.currency}>
          <dt>Total{totals.length > 1 ? ` (${t.currency})` : ''}</dt>
          <dd data-testid={testId}>
            <Money amount={t.amount} currency={t.currency} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A form's submit handler with its busy flag and error: a second submit while one runs is ignored, and
 * the form stays busy after success (the page navigates away).
 */
export function useSubmit(action: (form: FormData) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const onSubmit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await action(new FormData(event.currentTarget as HTMLFormElement));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return { busy, error, onSubmit };
}

/** A problem as one readable sentence; "Try again" for outages, the wait time for 429. */
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error === undefined || error === null) return null;
  const retry = onRetry && isRetryable(error);
  return (
    <div class="alert alert-error" role="alert">
      <p>{describeError(error)}</p>
      {error instanceof ApiError && error.status === 401 && (
        <p>
          <a href={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}>Log in</a>
        </p>
      )}
      {retry && (
        <button type="button" class="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}

interface InputProps {
  type?: 'text' | 'email' | 'password' | 'search' | 'number';
  required?: boolean;
  autoComplete?: string;
  defaultValue?: string;
  placeholder?: string;
  maxLength?: number;
  min?: number;
  max?: number;
  step?: number;
  inputMode?: 'decimal' | 'numeric' | 'text';
}

/** A labelled input whose server-side error (from the problem's field pointer) sits right below it. */
export function Field({
  label,
  name,
  error,
  hint,
  ...input
}: InputProps & { label: string; name: string; error?: string | undefined; hint?: string }) {
  const id = `field-${name}`;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        {...({
          ...input,
          id,
          name,
          'aria-invalid': error ? 'true' : undefined,
          'aria-describedby': described || undefined,
        } as unknown as InputHTMLAttributes<HTMLInputElement>)}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** Field errors of a problem, for <Field error=…>. */
export const fieldErrorsOf = (error: unknown): Record<string, string> =>
  error instanceof ApiError ? error.fieldErrors : {};

const STATUS_TEXT: Record<OrderStatus, string> = {
  PENDING: 'Pending',
  AWAITING_PAYMENT: 'Awaiting payment',
  PAID: 'Paid',
  PAYMENT_FAILED: 'Payment failed',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
  REFUNDED: 'Refunded',
};

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span class={`badge badge-${status.toLowerCase().replaceAll('_', '-')}`} data-status={status}>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
