// The storefront's single instances, wired to the browser: fetch, timers, Web Locks, storage and a
// BroadcastChannel so tabs agree on login/logout and the cart. Everything in lib/ takes these as
// parameters, which is what the unit tests replace.
import { ApiClient } from './lib/api-client.js';
import { CART_STORAGE_KEY, Cart } from './lib/cart.js';
import { CheckoutAttempt } from './lib/checkout-attempt.js';
import { SessionManager } from './lib/session.js';
import { createShopApi } from './lib/shop-api.js';

const SESSION_HINT_KEY = 'shop.session';
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('shop.session') : undefined;

/** localStorage can throw (privacy modes, quota); the shop still works without persistence. */
function safeStorage(storage: () => Storage) {
  const memory = new Map<string, string>();
  const get = () => {
    try {
      return storage();
    } catch {
      return undefined;
    }
  };
  return {
    getItem: (k: string) => {
      try {
        return get()?.getItem(k) ?? memory.get(k) ?? null;
      } catch {
        return memory.get(k) ?? null;
      }
    },
    setItem: (k: string, v: string) => {
      memory.set(k, v);
      try {
        get()?.setItem(k, v);
      } catch {
        // kept in memory
      }
    },
    removeItem: (k: string) => {
      memory.delete(k);
      try {
        get()?.removeItem(k);
      } catch {
        // kept in memory
      }
    },
  };
}

const local = safeStorage(() => window.localStorage);
const perTab = safeStorage(() => window.sessionStorage);

export const session = new SessionManager({
  fetch: (input, init) => window.fetch(input, init),
  now: () => Date.now(),
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (handle) => window.clearTimeout(handle as number),
  withLock: <T>(fn: () => Promise<T>): Promise<T> =>
    navigator.locks ? (navigator.locks.request('shop.session.refresh', fn) as Promise<T>) : fn(),
  hint: {
    get: () => local.getItem(SESSION_HINT_KEY) === '1',
    set: (present) => (present ? local.setItem(SESSION_HINT_KEY, '1') : local.removeItem(SESSION_HINT_KEY)),
  },
  announce: (event) => channel?.postMessage(event),
});

export const api = new ApiClient({
  fetch: (input, init) => window.fetch(input, init),
  session,
  sleep: (ms) => new Promise((resolve) => window.setTimeout(resolve, ms)),
});

export const shop = createShopApi(api);
export const cart = new Cart(local);
export const checkoutAttempt = new CheckoutAttempt(perTab);

/** Keeps this tab in step with the others (login/logout, cart edits). */
export function followOtherTabs(): void {
  channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (event.data === 'login' || event.data === 'logout') void session.onAnnouncement(event.data);
  });
  window.addEventListener('storage', (event) => {
    if (event.key === CART_STORAGE_KEY) cart.reload();
  });
}
