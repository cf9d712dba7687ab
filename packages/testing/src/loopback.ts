import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForRedisReady } from './environment.js';

/** The two lifecycle calls of a service kit this helper needs (structural: no dependency on the kit). */
export interface LoopbackKit {
  listen(server: Server, port: number, host?: string): Promise<Server>;
  shutdown(reason: string): Promise<void>;
}

export interface LoopbackService {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The service's own shutdown sequence (`kit.shutdown`), which closes the server, pool and Redis. */
  close(): Promise<void>;
}

/**
 * Listens an in-process service's server through its kit on a free 127.0.0.1 port (so readiness,
 * draining and metrics behave as in production) and, given its Redis client, waits until it is
 * connected. `close()` runs the kit's shutdown; bootstrap the service with `inProcess: true` so that
 * does not exit the test worker.
 */
export async function listenOnLoopback(
  kit: LoopbackKit,
  server: Server,
  options: { redis?: Parameters<typeof waitForRedisReady>[0] } = {},
): Promise<LoopbackService> {
  await kit.listen(server, 0, '127.0.0.1');
  if (options.redis) await waitForRedisReady(options.redis);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, close: () => kit.shutdown('test finished') };
}
