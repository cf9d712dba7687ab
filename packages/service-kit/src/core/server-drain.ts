import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What is still open while draining; logged when the hard deadline fires. */
export interface DrainStatus {
  openConnections: number;
  inFlightRequests: number;
  inFlight: string[];
}

/**
 * Tracks sockets and in-flight requests of one HTTP server so shutdown can drain it the way
 * http-terminator does: stop accepting, close idle keep-alive sockets at once, answer the last
 * request of busy sockets with `Connection: close`, and resolve when every socket is gone.
 */
export class ServerDrain {
  private readonly sockets = new Map<Socket, Set<ServerResponse>>();
  private draining = false;
  private announced = false;
  private closed: Promise<void> | undefined;

  /** `dispatch: true` when the caller passes every request to `track` itself (see `kit.listen`). */
  constructor(
    private readonly server: Server,
    options: { dispatch?: boolean } = {},
  ) {
    server.on('connection', (socket: Socket) => {
      if (this.draining) {
        // A connection accepted in the instant before close() took effect: nothing is in flight on it.
        socket.destroy();
        return;
      }
      this.sockets.set(socket, new Set());
      socket.once('close', () => this.sockets.delete(socket));
    });
    if (!options.dispatch) server.on('request', (req, res) => this.track(req, res));
  }

  /** true from `closeAfterEachResponse` or `drain` on: responses then carry `Connection: close`. */
  closing(): boolean {
    return this.draining || this.announced;
  }

  /** Counts `res` as in flight on its socket until it closes; during the drain it says `Connection: close`. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const inFlight = this.sockets.get(req.socket);
    if (!inFlight) return;
    inFlight.add(res);
    if (this.closing()) setConnectionClose(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (this.draining && inFlight.size === 0) closeSocket(req.socket);
    });
  }

  /**
   * From now on every response carries `Connection: close` (the shutdown began, the drain delay
   * runs): keep-alive clients reconnect — elsewhere, once readiness took this instance out.
   */
  closeAfterEachResponse(): void {
    this.announced = true;
    for (const inFlight of this.sockets.values()) for (const res of inFlight) setConnectionClose(res);
  }

  /** Starts draining; resolves when the server is closed and every connection has ended. */
  drain(): Promise<void> {
    if (this.closed) return this.closed;
    this.draining = true;
    this.closed = new Promise<void>((resolve) => {
      let serverClosed = !this.server.listening;
      let check = () => {
        if (serverClosed && this.sockets.size === 0) {
          check = () => {};
          resolve();
        }
      };
      if (!serverClosed) {
        this.server.close(() => {
          serverClosed = true;
          check();
        });
      }
      for (const [socket, inFlight] of this.sockets) {
        socket.once('close', () => check());
        if (inFlight.size === 0) closeSocket(socket);
        else for (const res of inFlight) setConnectionClose(res);
      }
      check();
    });
    return this.closed;
  }

  status(): DrainStatus {
    const inFlight: string[] = [];
    for (const responses of this.sockets.values()) {
      for (const res of responses) inFlight.push(`${res.req?.method ?? '?'} ${res.req?.url ?? '?'}`);
    }
    return { openConnections: this.sockets.size, inFlightRequests: inFlight.length, inFlight };
  }

  /** Destroys every remaining socket (used by the hard deadline, just before exit). */
  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }
}

// Busy keep-alive sockets learn to go away from the response itself, so the client never
// reuses a socket the server is about to close (no ECONNRESET on the next request).
function setConnectionClose(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

function closeSocket(socket: Socket): void {
  // end() lets an already-written response flush; destroy() follows if the peer does not close.
  socket.end();
  setTimeout(() => socket.destroy(), 1000).unref();
}
