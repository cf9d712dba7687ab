// The built storefront served the way production serves it, without Docker: the static files with the
// security headers read from the image's own nginx snippet (services/storefront/deploy), the same cache
// policy (hashed /assets/ immutable, everything else revalidated), the pre-compressed .gz files, the
// client-side-route fallback to index.html, and /api/v1 routed by the prefixes of gateway/default.conf
// (a down upstream answers 503 problem+json with Retry-After, as the gateway does).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sirv from 'sirv';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const storefrontDist = path.join(repoRoot, 'services/storefront/dist');
const SECURITY_HEADERS = path.join(repoRoot, 'services/storefront/deploy/security-headers.conf');
const SITE_CONF = path.join(repoRoot, 'services/storefront/deploy/default.conf');
const GATEWAY_CONF = path.join(repoRoot, 'gateway/default.conf');

/** `add_header Name "value" always;` lines of an nginx file, in order. */
export function nginxHeaders(file: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;/gm)) {
    headers[m[1]!] = m[2]!;
  }
  return headers;
}

/** The headers every storefront response carries (the nginx snippet the image includes). */
export const securityHeaders = () => nginxHeaders(SECURITY_HEADERS);

/** Cache-Control of the storefront's `/assets/` and `/` locations, as written in its nginx config. */
export function cachePolicy(): { assets: string; shell: string } {
  const conf = readFileSync(SITE_CONF, 'utf8');
  const of = (location: string) => {
    const block =
      new RegExp(`location ${location.replaceAll('/', '\\/')} \\{([^}]*)\\}`).exec(conf)?.[1] ?? '';
    const value = /add_header Cache-Control "([^"]+)"/.exec(block)?.[1];
    if (!value) throw new Error(`no Cache-Control in location ${location} of ${SITE_CONF}`);
    return value;
  };
  return { assets: of('/assets/'), shell: of('/') };
}

export type ServiceName = 'user' | 'product' | 'order' | 'payment';

/** The gateway's API routes: `location ~ <regex>` / `location = <path>` blocks that set a service upstream. */
export function gatewayRoutes(): Array<{ match: (pathname: string) => boolean; service: ServiceName }> {
  const conf = readFileSync(GATEWAY_CONF, 'utf8');
  const routes: Array<{ match: (pathname: string) => boolean; service: ServiceName }> = [];
  for (const m of conf.matchAll(
    /location\s+(~|=)\s+(\S+)\s+\{\s*set \$upstream (user|product|order|payment)-service:\d+;/g,
  )) {
    const [, kind, pattern, service] = m;
    if (kind === '=') routes.push({ match: (p) => p === pattern, service: service as ServiceName });
    else {
      const re = new RegExp(pattern!);
      routes.push({ match: (p) => re.test(p), service: service as ServiceName });
    }
  }
  if (routes.length < 5)
    throw new Error(`expected the API routes in ${GATEWAY_CONF}, found ${routes.length}`);
  return routes;
}

const problem = (
  res: http.ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: 'about:blank', title: http.STATUS_CODES[status], status, detail }));
};

export interface StorefrontServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `dist` on 127.0.0.1 and routes API paths to `upstreams` (base URLs per service). */
export async function startStorefrontServer(
  upstreams: Record<ServiceName, string>,
): Promise<StorefrontServer> {
  const routes = gatewayRoutes();
  const headers = securityHeaders();
  const cache = cachePolicy();
  const files = sirv(storefrontDist, {
    gzip: true,
    etag: true,
    single: true,
    setHeaders: (res, pathname) => {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.setHeader('Cache-Control', pathname.startsWith('/assets/') ? cache.assets : cache.shell);
    },
  });

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://storefront').pathname;
    const route = routes.find((r) => r.match(pathname));
    if (route) {
      const target = new URL(req.url ?? '/', upstreams[route.service]);
      const upstream = http.request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) {
          problem(res, 503, 'The upstream service is unavailable; retry shortly', { 'retry-after': '5' });
        } else res.destroy();
      });
      req.pipe(upstream);
      return;
    }
    if (/^\/(api|internal|\.well-known)(\/|$)/.test(pathname)) {
      problem(res, 404, 'No Shop API route matches this path');
      return;
    }
    files(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    // `localhost`, not 127.0.0.1: Chromium treats it as a secure context, so the refresh cookie keeps
    // its production `Secure` attribute in these tests.
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
