// A tiny catalog API (products, categories, search with a cursor) for the load runner's own tests: it lets
// a test make the target slow or answer 5xx/503 on purpose. The journeys against the real services are
// tested in tests/e2e/loadgen.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CatalogServerOptions {
  products?: number;
  /** Delay of every answer. */
  delayMs?: number;
  /** Status of `GET /api/v1/products/:id` (default 200). */
  productStatus?: number;
  /** The first N product reads answer 503 with `Retry-After: 0`. */
  unavailableFirst?: number;
}

export interface CatalogServer {
  url: string;
  maxConcurrent: number;
  requests: number;
  close(): Promise<void>;
}

export async function startCatalogServer(options: CatalogServerOptions = {}): Promise<CatalogServer> {
  const products = Array.from({ length: options.products ?? 8 }, (_, i) => ({
    id: i + 1,
    name: `Steel Kettle Model ${i + 1}`,
    stock: 100,
    category_id: 1 + (i % 2),
  }));
  let concurrent = 0;
  let unavailable = options.unavailableFirst ?? 0;
  const state = { maxConcurrent: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    concurrent++;
    state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      setTimeout(() => {
        concurrent--;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      }, options.delayMs ?? 0);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/categories') return reply(200, { items: [{ id: 1 }, { id: 2 }] });
    if (url.pathname === '/api/v1/products') {
      const category = Number(url.searchParams.get('category_id') ?? 0);
      const list = category ? products.filter((p) => p.category_id === category) : products;
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const next = offset + limit < list.length ? String(offset + limit) : null;
      return reply(200, { items: list.slice(offset, offset + limit), next_cursor: next });
    }
    const match = /^\/api\/v1\/products\/(\d+)$/.exec(url.pathname);
    if (match) {
      if (unavailable > 0) {
        unavailable--;
        return reply(503, { code: 'DEPENDENCY.UNAVAILABLE', detail: 'try again' }, { 'retry-after': '0' });
      }
      const status = options.productStatus ?? 200;
      return status === 200
        ? reply(200, products[Number(match[1]) - 1])
        : reply(status, { title: 'Internal Server Error', detail: 'boom' });
    }
    return reply(404, { title: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
