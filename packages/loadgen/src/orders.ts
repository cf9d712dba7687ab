import { FINAL_ORDER_STATUSES, type PlacedOrder, type ServiceName, serviceOf } from './options.js';

export interface SettleOrdersOptions {
  /** Gateway base URL, or per-service URLs (only `user` and `order` are called). */
  target?: string;
  services?: Partial<Record<ServiceName, string>>;
  /** An admin may read every order (owners only see their own). */
  admin: { username: string; password: string };
  /** Give up after this long; orders still not final keep their last status (default 60 s). */
  timeoutMs?: number;
  pollIntervalMs?: number;
}

/**
 * Re-reads every order of a run that is not final yet, as admin, until each is final or `timeoutMs`
 * passes — for callers that check "every order placed reached a final state" after a chaos run (an
 * order left AWAITING_PAYMENT by an outage is settled by the payment event or by expiry later).
 * Returns updated copies; `final` tells which ones made it.
 */
export async function settleOrders(
  orders: readonly PlacedOrder[],
  options: SettleOrdersOptions,
): Promise<PlacedOrder[]> {
  const base = (path: string) => {
    const url = options.services?.[serviceOf(path)] ?? options.target;
    if (!url) throw new Error(`no URL for ${path}: set target or services`);
    return url.replace(/\/+$/, '') + path;
  };
  const call = async (path: string, init: RequestInit) => {
    const res = await fetch(base(path), { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
  };
  const login = await call('/api/v1/users/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options.admin),
  });
  if (login.status !== 200) throw new Error(`admin login answered ${login.status}`);
  const auth = { authorization: `Bearer ${login.body.access_token as string}` };
  const result = orders.map((o) => ({ ...o }));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const open = result.filter((o) => !o.final);
    await Promise.all(
      open.map(async (order) => {
        try {
          const res = await call(`/api/v1/orders/${order.id}`, { headers: auth });
          if (res.status !== 200) return;
          order.status = String(res.body.status);
          order.final = (FINAL_ORDER_STATUSES as readonly string[]).includes(order.status);
        } catch {
          // unreachable for now: the next round asks again
        }
      }),
    );
    if (result.every((o) => o.final) || Date.now() >= deadline) return result;
    await new Promise((r) => setTimeout(r, options.pollIntervalMs ?? 500));
  }
}
