import type { IncomingMessage } from 'node:http';

/** Bodies up to this size are read and thrown away before an early answer (413, 415, 503 draining). */
export const DISCARD_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

export interface DiscardBodyOptions {
  /** Read at most this much (default 10 MiB); past it the connection is closed after the answer. */
  maxBytes?: number;
  /** Give up on a client that sends too slowly (default 10 s). */
  timeoutMs?: number;
}

/**
 * Reads and discards what is left of a request body, so an answer sent before the body was used
 * (413 too large, 415, 503 while draining) reaches a client that is still uploading: a client
 * such as `fetch` reports EPIPE instead of the answer when the server closes the socket under
 * its upload. Resolves true once the body is fully read, false when it is larger than `maxBytes`
 * (declared or actual), the client is too slow or the request broke — the caller then answers
 * with `Connection: close`.
 */
export function discardRequestBody(req: IncomingMessage, options: DiscardBodyOptions = {}): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  const maxBytes = options.maxBytes ?? DISCARD_BODY_LIMIT_BYTES;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let received = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onBroken);
      req.off('close', onClose);
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onBroken = () => finish(false);
    const onClose = () => finish(req.complete);
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    timer.unref();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onBroken);
    req.once('close', onClose);
    req.resume();
  });
}
