import { describe, expect, it } from 'vitest';
import { ApiClient, type TokenSource } from '../src/lib/api-client.js';
import { ApiError } from '../src/lib/problem.js';
import { json, type Recorded, scriptedFetch } from './fakes.js';

function tokens(initial: string | undefined, refreshed: string | undefined = 'fresh') {
  let current = initial;
  let refreshes = 0;
  const source: TokenSource & { refreshes: () => number } = {
    getAccessToken: async () => current,
    refresh: async () => {
      refreshes++;
      current = refreshed;
      return refreshed !== undefined;
    },
    refreshes: () => refreshes,
  };
  return source;
}

function client(responses: Array<Response | Error>, session: TokenSource = tokens('t1')) {
  const waits: number[] = [];
  let i = 0;
  const fake = scriptedFetch(() => {
    const next = responses[Math.min(i++, responses.length - 1)]!;
    if (next instanceof Error) throw next;
    return next.clone();
  });
  const api = new ApiClient({
    fetch: fake.fetch,
    session,
    sleep: async (ms) => void waits.push(ms),
  });
  return { api, requests: fake.requests, waits };
}

const auth = (r: Recorded) => r.headers.authorization;

describe('API client', () => {
  it('sends the access token and, after a 401, refreshes once and retries with the new token', async () => {
    const session = tokens('expired');
    const { api, requests } = client(
      [json(401, { code: 'AUTH.UNAUTHORIZED' }), json(200, { ok: true })],
      session,
    );
    const answer = await api.get<{ ok: boolean }>('/api/v1/orders', { auth: 'required' });
    expect(answer.data).toEqual({ ok: true });
    expect(requests.map(auth)).toEqual(['Bearer expired', 'Bearer fresh']);
    expect(session.refreshes()).toBe(1);
  });

  it('gives up after one refresh: a second 401 reaches the page (no loop)', async () => {
    const { api, requests } = client([json(401, { code: 'AUTH.UNAUTHORIZED' })]);
    await expect(api.get('/api/v1/orders', { auth: 'required' })).rejects.toMatchObject({ status: 401 });
    expect(requests).toHaveLength(2);
  });

  it('does not call the API for a required login without a session', async () => {
    const { api, requests } = client([json(200, {})], tokens(undefined));
    await expect(api.get('/api/v1/orders', { auth: 'required' })).rejects.toMatchObject({ status: 401 });
    expect(requests).toEqual([]);
  });

  it('retries a GET through a brief 503, waiting as long as Retry-After says', async () => {
    const { api, requests, waits } = client([
      json(503, { code: 'SERVICE.UNAVAILABLE' }, { 'retry-after': '1' }),
      json(200, { items: [] }),
    ]);
    expect((await api.get('/api/v1/products')).data).toEqual({ items: [] });
    expect(requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  it('bounds outage retries and caps the wait, then shows the 503 with its Retry-After', async () => {
    const { api, requests, waits } = client([json(503, { detail: 'down' }, { 'retry-after': '60' })]);
    const error = await api.get('/api/v1/products').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).retryAfterSeconds).toBe(60);
    expect(requests).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it('never repeats a POST that is not idempotent', async () => {
    const { api, requests } = client([json(503, {}), json(201, {})]);
    await expect(api.post('/api/v1/users', { username: 'x' })).rejects.toMatchObject({ status: 503 });
    expect(requests).toHaveLength(1);
  });

  it('repeats an idempotent POST with the same Idempotency-Key after a lost answer', async () => {
    const { api, requests } = client([new TypeError('network down'), json(200, { id: 'o-1' })]);
    const answer = await api.post(
      '/api/v1/orders',
      { items: [] },
      {
        auth: 'required',
        repeatable: true,
        headers: { 'idempotency-key': 'k-1' },
      },
    );
    expect(answer.data).toEqual({ id: 'o-1' });
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1']);
  });

  it('waits for an in-progress request with the same Idempotency-Key and returns its answer', async () => {
    const { api, requests, waits } = client([
      json(409, { code: 'ORDER.IDEMPOTENT_REQUEST_IN_PROGRESS' }, { 'retry-after': '1' }),
      json(201, { id: 'o-1' }),
    ]);
    const answer = await api.post(
      '/api/v1/orders',
      {},
      { repeatable: true, headers: { 'idempotency-key': 'k' } },
    );
    expect(answer.data).toEqual({ id: 'o-1' });
    expect(requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
  });

  it('does not retry a 429 and keeps its wait time for the message', async () => {
    const { api, requests } = client([
      json(429, { code: 'AUTH.TOO_MANY_LOGIN_ATTEMPTS' }, { 'retry-after': '30' }),
    ]);
    await expect(api.post('/api/v1/users/login', {})).rejects.toMatchObject({
      status: 429,
      retryAfterSeconds: 30,
    });
    expect(requests).toHaveLength(1);
  });

  it('turns a request that never got an answer into a network error', async () => {
    const { api } = client([new TypeError('Failed to fetch')]);
    await expect(api.post('/api/v1/users', {})).rejects.toMatchObject({ status: 0 });
  });

  it('sends JSON bodies with their content type and no body on GET', async () => {
    const { api, requests } = client([json(200, {})]);
    await api.post('/api/v1/orders', { a: 1 });
    await api.get('/api/v1/products');
    expect(requests[0]).toMatchObject({
      method: 'POST',
      body: { a: 1 },
      headers: { 'content-type': 'application/json' },
    });
    expect(requests[1]!.headers['content-type']).toBeUndefined();
    expect(requests[1]!.body).toBeUndefined();
  });
});
