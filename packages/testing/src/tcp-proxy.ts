import net from 'node:net';
import { getFreePort } from './ports.js';

/** A TCP forwarder on a fixed local port that tests can take down and bring back (dependency outages). */
export interface TcpProxy {
  readonly port: number;
  /** Closes the listener and cuts every open connection: the port is now closed. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
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

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
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
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (!server) return resolve();
      const s = server;
      server = undefined;
      s.close(() => resolve());
    });

  await start();
  return { port: listenPort, stop, start, close: stop };
}
