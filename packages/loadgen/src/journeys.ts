// The shopper journeys, step by step, on the public API only (what the storefront or a curl user does).
import { randomUUID } from 'node:crypto';
import {
  EXPECTED_FINAL,
  FINAL_ORDER_STATUSES,
  type JourneyName,
  type PlacedOrder,
  type ResolvedOptions,
} from './options.js';
import { drawThinkTime, type Random, weightedPick } from './random.js';
import type { RequestSpec, ShopClient, StepReply } from './shop-client.js';
import type { Outcome, Recorder } from './stats.js';

/** Ends a journey early: `failed` after an error, `interrupted` after a tolerated (`expected`) answer. */
export class JourneyStop extends Error {
  constructor(readonly kind: 'failed' | 'interrupted') {
    super(`journey ${kind}`);
  }
}

export const POOL_PASSWORD = 'loadgen shopper password 2026';

interface Session {
  token: string;
  expiresAt: number;
}

interface PoolUser {
  index: number;
  username: string;
  password: string;
  session?: Session;
  login?: Promise<Session>;
}

export interface CatalogProduct {
  id: number;
  name: string;
}

export interface JourneyContext {
  options: ResolvedOptions;
  client: ShopClient;
  recorder: Recorder;
  random: Random;
  users: PoolUser[];
  admin: PoolUser | undefined;
  catalog: { products: CatalogProduct[]; categories: number[]; terms: string[] };
  orders: Map<string, PlacedOrder>;
  startedAt: number;
  signupSeq: { next: number };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** Throws `JourneyStop` unless the reply is a success. */
function must(reply: StepReply): StepReply {
  if (reply.outcome === 'ok') return reply;
  throw new JourneyStop(reply.outcome === 'error' ? 'failed' : 'interrupted');
}

async function think(ctx: JourneyContext): Promise<void> {
  await ctx.client.pause(drawThinkTime(ctx.random, ctx.options.thinkTime));
}

const send = (ctx: JourneyContext, spec: RequestSpec) => ctx.client.send(spec).then(must);

/** The access token of a login reply and when it expires. */
export const sessionFrom = (reply: StepReply): Session => ({
  token: reply.body.access_token as string,
  expiresAt: Date.now() + (reply.body.expires_in as number) * 1000,
});

/** POST /users/login with the seed's `{"username","password"}` body; the reply carries the tokens. */
export const loginRequest = (
  journey: RequestSpec['journey'],
  step: string,
  user: { username: string; password: string },
): RequestSpec => ({
  journey,
  step,
  method: 'POST',
  path: '/api/v1/users/login',
  body: { username: user.username, password: user.password },
  ok: [200],
});

/** POST /users for `username` with the pool password; `ok` decides whether 409 (exists) is fine. */
export const registerRequest = (
  journey: RequestSpec['journey'],
  step: string,
  username: string,
  ok: readonly number[],
): RequestSpec => ({
  journey,
  step,
  method: 'POST',
  path: '/api/v1/users',
  body: { username, email: `${username}@loadgen.example.com`, password: POOL_PASSWORD },
  ok,
});

/** A valid access token for `user`; logs in (step `<journey>.login`) when it has none or it expires soon. */
async function sessionOf(ctx: JourneyContext, journey: JourneyName, user: PoolUser): Promise<string> {
  if (user.session && user.session.expiresAt - Date.now() > 60_000) return user.session.token;
  // Concurrent journeys of one shopper share one login, as tabs of one browser would.
  user.login ??= (async () => {
    const reply = await send(ctx, loginRequest(journey, 'login', user));
    return sessionFrom(reply);
  })().finally(() => {
    user.login = undefined;
  });
  user.session = await user.login;
  return user.session.token;
}

async function browse(ctx: JourneyContext): Promise<void> {
  const j = 'browse';
  const home = await send(ctx, {
    journey: j,
    step: 'home',
    method: 'GET',
    path: '/api/v1/products?limit=12',
    ok: [200],
  });
  await think(ctx);
  const categories = await send(ctx, {
    journey: j,
    step: 'categories',
    method: 'GET',
    path: '/api/v1/categories',
    ok: [200],
  });
  await think(ctx);
  const cats = (categories.body.items as Array<{ id: number }>).map((c) => c.id);
  let items = home.body.items as Array<{ id: number }>;
  if (cats.length > 0) {
    const category = await send(ctx, {
      journey: j,
      step: 'category',
      method: 'GET',
      path: `/api/v1/products?category_id=${pick(ctx.random, cats)}&limit=20`,
      ok: [200],
    });
    if (category.body.items.length > 0) items = category.body.items;
    await think(ctx);
  }
  const id = items.length > 0 ? pick(ctx.random, items).id : pick(ctx.random, ctx.catalog.products).id;
  await send(ctx, { journey: j, step: 'product', method: 'GET', path: `/api/v1/products/${id}`, ok: [200] });
}

async function search(ctx: JourneyContext): Promise<void> {
  const j = 'search';
  const q = encodeURIComponent(pick(ctx.random, ctx.catalog.terms));
  // A small page so the next-page step (cursor) is part of many searches (terms are single words).
  const first = await send(ctx, {
    journey: j,
    step: 'query',
    method: 'GET',
    path: `/api/v1/products?q=${q}&limit=2`,
    ok: [200],
  });
  let items = first.body.items as Array<{ id: number }>;
  if (first.body.next_cursor) {
    await think(ctx);
    const next = await send(ctx, {
      journey: j,
      step: 'next-page',
      method: 'GET',
      path: `/api/v1/products?q=${q}&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      ok: [200],
    });
    if (next.body.items.length > 0) items = next.body.items;
  }
  if (items.length === 0) return;
  await think(ctx);
  await send(ctx, {
    journey: j,
    step: 'product',
    method: 'GET',
    path: `/api/v1/products/${pick(ctx.random, items).id}`,
    ok: [200],
  });
}

async function signup(ctx: JourneyContext): Promise<void> {
  const j = 'signup';
  const username = `${ctx.options.userPrefix}s${ctx.signupSeq.next++}`;
  await send(ctx, registerRequest(j, 'register', username, [201]));
  await think(ctx);
  const login = await send(ctx, loginRequest(j, 'login', { username, password: POOL_PASSWORD }));
  await think(ctx);
  await send(ctx, {
    journey: j,
    step: 'profile',
    method: 'GET',
    path: '/api/v1/users/me',
    token: login.body.access_token,
    ok: [200],
  });
}

/** Polls the order until a final status (each poll is a `<journey>.poll` request); records `<journey>.settled`. */
async function settle(
  ctx: JourneyContext,
  journey: JourneyName,
  order: PlacedOrder,
  token: string,
): Promise<string> {
  const placed = performance.now();
  const deadline = placed + ctx.options.orderTimeoutMs;
  while (!order.final && performance.now() < deadline) {
    await ctx.client.pause(ctx.options.pollIntervalMs);
    const reply = await send(ctx, {
      journey,
      step: 'poll',
      method: 'GET',
      path: `/api/v1/orders/${order.id}`,
      token,
      ok: [200],
    });
    order.status = reply.body.status;
    order.final = (FINAL_ORDER_STATUSES as readonly string[]).includes(order.status);
  }
  const status = order.final ? order.status : 'timeout';
  const wanted = EXPECTED_FINAL[order.paymentMethod];
  const verdict: Outcome = order.final && (!wanted || wanted.includes(status)) ? 'ok' : 'error';
  const step = `${journey}.settled`;
  const outcome = ctx.options.classify
    ? ctx.options.classify(
        {
          journey,
          step,
          method: 'GET',
          path: `/api/v1/orders/${order.id}`,
          status,
          headers: {},
          body: undefined,
        },
        verdict,
      )
    : verdict;
  ctx.recorder.record(
    step,
    status,
    outcome,
    (performance.now() - placed) * 1000,
    `order ${order.id} (${order.paymentMethod}) ended ${status}, expected ${wanted?.join('/') ?? 'any final status'}`,
    true,
  );
  must({ outcome, status, body: undefined, headers: {} });
  return status;
}

async function placeOrder(
  ctx: JourneyContext,
  journey: JourneyName,
  user: PoolUser,
  token: string,
  productId: number,
  paymentMethod: string,
): Promise<PlacedOrder> {
  const items = [{ product_id: productId, quantity: 1 + Math.floor(ctx.random() * 2) }];
  const reply = await send(ctx, {
    journey,
    step: 'order',
    method: 'POST',
    path: '/api/v1/orders',
    token,
    // One key per order attempt: a retry of this request (after a tolerated 503) resumes the same order.
    headers: { 'idempotency-key': randomUUID() },
    body: { ...items[0], payment_method: paymentMethod },
    ok: [201, 200],
  });
  const order: PlacedOrder = {
    id: reply.body.id,
    journey,
    user: user.index,
    items,
    paymentMethod,
    status: reply.body.status,
    final: (FINAL_ORDER_STATUSES as readonly string[]).includes(reply.body.status),
    placedAtMs: Math.round(performance.now() - ctx.startedAt),
  };
  ctx.orders.set(order.id, order);
  return order;
}

async function checkout(ctx: JourneyContext): Promise<void> {
  const j = 'checkout';
  const user = pick(ctx.random, ctx.users);
  const token = await sessionOf(ctx, j, user);
  await think(ctx);
  // Look at a product first, as a shopper does; one that is out of stock is put back for another.
  let productId = pick(ctx.random, ctx.catalog.products).id;
  for (let tries = 0; tries < 3; tries++) {
    const product = await send(ctx, {
      journey: j,
      step: 'product',
      method: 'GET',
      path: `/api/v1/products/${productId}`,
      ok: [200],
    });
    if (product.body.stock >= 2) break;
    productId = pick(ctx.random, ctx.catalog.products).id;
  }
  await think(ctx);
  const order = await placeOrder(
    ctx,
    j,
    user,
    token,
    productId,
    weightedPick(ctx.random, ctx.options.paymentMethods),
  );
  await settle(ctx, j, order, token);
}

async function cancel(ctx: JourneyContext): Promise<void> {
  const j = 'cancel';
  const user = pick(ctx.random, ctx.users);
  const token = await sessionOf(ctx, j, user);
  await think(ctx);
  const order = await placeOrder(
    ctx,
    j,
    user,
    token,
    pick(ctx.random, ctx.catalog.products).id,
    'tok_success',
  );
  await settle(ctx, j, order, token);
  await think(ctx);
  // Cancelling a paid order refunds it (payment service) and puts the stock back.
  const reply = await send(ctx, {
    journey: j,
    step: 'cancel',
    method: 'POST',
    path: `/api/v1/orders/${order.id}/cancel`,
    token,
    ok: [200],
  });
  order.status = reply.body.status;
  order.final = (FINAL_ORDER_STATUSES as readonly string[]).includes(order.status);
  if (order.status !== 'REFUNDED') {
    ctx.recorder.record(
      `${j}.refunded`,
      order.status,
      'error',
      0,
      `order ${order.id} cancelled to ${order.status}, expected REFUNDED`,
      true,
    );
    throw new JourneyStop('failed');
  }
}

const RESTOCK_UNITS = 50;

async function restock(ctx: JourneyContext): Promise<void> {
  const j = 'restock';
  const token = await sessionOf(ctx, j, ctx.admin!);
  const id = pick(ctx.random, ctx.catalog.products).id;
  // Optimistic concurrency: orders change the product's version too, so a stale ETag (412) is redone.
  for (let attempt = 0; attempt < 5; attempt++) {
    const product = await send(ctx, {
      journey: j,
      step: 'product',
      method: 'GET',
      path: `/api/v1/products/${id}`,
      ok: [200],
    });
    await think(ctx);
    const update = await ctx.client.send({
      journey: j,
      step: 'update',
      method: 'PATCH',
      path: `/api/v1/products/${id}`,
      token,
      headers: { 'if-match': product.headers.etag ?? '*' },
      body: { stock: product.body.stock + RESTOCK_UNITS },
      ok: [200],
      expected: [412],
      noRetry: true,
    });
    if (update.outcome === 'ok') return;
    if (update.outcome === 'error' || update.status !== '412') must(update);
  }
  throw new JourneyStop('interrupted');
}

export const JOURNEY_STEPS: Readonly<Record<JourneyName, (ctx: JourneyContext) => Promise<void>>> = {
  browse,
  search,
  signup,
  checkout,
  cancel,
  restock,
};

/** Words of product names, the search terms shoppers type. */
export function searchTerms(products: readonly CatalogProduct[]): string[] {
  const words = new Set<string>();
  for (const p of products)
    for (const w of p.name.toLowerCase().split(/[^a-z]+/)) if (w.length >= 4) words.add(w);
  return [...words];
}

/** Pool and admin accounts for a run. */
export function poolUsers(prefix: string, count: number): PoolUser[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    username: `${prefix}${index}`,
    password: POOL_PASSWORD,
  }));
}

export function adminUser(admin: { username: string; password: string }): PoolUser {
  return { index: -1, username: admin.username, password: admin.password };
}

export type { PoolUser };
