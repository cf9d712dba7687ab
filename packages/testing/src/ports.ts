import { readFileSync } from 'node:fs';
import net from 'node:net';

// A port the kernel hands out for `listen(0)` comes from the ephemeral range, the same range every outgoing
// connection (to PostgreSQL, Redis, another service) takes its local port from. Between the moment a test
// learns the port and the moment the service it starts binds it (a second or more of start-up), a busy
// machine running several stacks can give that port to a connection: EADDRINUSE. Ports below the ephemeral
// range are only ever taken by an explicit bind, so they are picked from there, at random, and checked.

/** The kernel's ephemeral range (Linux), or the IANA default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low > 2048) return [low, high];
  } catch {
    // not Linux: fall through
  }
  return [49152, 65535];
}

const [EPHEMERAL_LOW] = ephemeralRange();
const POOL_LOW = Math.max(1024, EPHEMERAL_LOW - 12_000);
/** Handed out by this process recently: never hand one out twice before its user had time to bind it. */
const handedOut = new Set<number>();

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** A free TCP port on 127.0.0.1, below the kernel's ephemeral range (see above). */
export async function getFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = POOL_LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - POOL_LOW));
    if (handedOut.has(candidate)) continue;
    const port = await tryListen(candidate);
    if (port !== undefined) {
      if (handedOut.size >= 1000) handedOut.clear();
      handedOut.add(port);
      return port;
    }
  }
  // Every candidate was taken: let the kernel choose.
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
