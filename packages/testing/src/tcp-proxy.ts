import net from 'node:net';
import { getFreePort } from './ports.js';

/** A TCP forwarder on a fixed local port that tests can take down and bring back (dependency outages). */
export interface TcpProxy {
  readonly port: number;
  /** Closes the listener and cuts every open connection: the port is now closed (ECONNREFUSED). */
  stop(): Promise<void>;
  /** Cuts every open connection but keeps the port open: new connections stay idle (a hung dependency → timeouts). */
  blackhole(): Promise<void>;
  /** Cuts every open connection (ECONNRESET for their owners) and keeps forwarding new ones. */
  reset(): void;
  /** Forwards again on the same port (after `stop()` or `blackhole()`). */
  start(): Promise<void>;
  /** Connections accepted so far (forwarded or held). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:<port> to `target` (e.g. the local PostgreSQL or Redis). */
export async function startTcpProxy(
  target: { host?: string; port: number },
  port?: number,
): Promise<TcpProxy> {
  const listenPort = port ?? (await getFreePort());
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let mode: 'forward' | 'blackhole' = 'forward';
  let connections = 0;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        connections += 1;
        track(client);
        if (mode === 'blackhole') {
          // Accepted, never answered: the client waits until its own timeout.
          client.on('error', () => client.destroy());
          return;
        }
        const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
        track(upstream);
        for (const socket of [client, upstream]) {
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        s.off('error', reject);
        server = s;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      cutAll();
      if (!server) return resolve();
      const s = server;
      server = undefined;
      s.close(() => resolve());
    });

  await listen();
  return {
    port: listenPort,
    get connections() {
      return connections;
    },
    stop,
    async blackhole() {
      mode = 'blackhole';
      cutAll();
      if (!server) await listen();
    },
    reset: cutAll,
    async start() {
      // Held connections never got a byte: cut them so their owners reconnect instead of waiting.
      if (mode === 'blackhole') cutAll();
      mode = 'forward';
      if (!server) await listen();
    },
    close: stop,
  };
}
