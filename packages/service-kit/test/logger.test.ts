import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ name: 'logger-test', destination, base: { version: '1.2.3' } });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with a text level, ISO time, service and base fields', () => {
    const { logger, lines } = capture();
    logger.info({ orderId: 7 }, 'order created');
    const [line] = lines();
    expect(line).toMatchObject({
      level: 'info',
      service: 'logger-test',
      version: '1.2.3',
      orderId: 7,
      msg: 'order created',
    });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('redacts authorization headers, cookies, internal tokens, passwords and tokens', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer eyJhbGciOi.secret',
            cookie: 'sid=abc',
            'x-internal-token': 'internal-secret',
          },
        },
        res: { headers: { 'set-cookie': 'sid=def' } },
        body: { username: 'alice', password: 'hunter2', refreshToken: 'rt-secret' },
        password: 'top-level-secret',
        accessToken: 'at-secret',
      },
      'login',
    );
    const text = JSON.stringify(lines()[0]);
    for (const secret of [
      'eyJhbGciOi',
      'sid=abc',
      'internal-secret',
      'sid=def',
      'hunter2',
      'rt-secret',
      'top-level-secret',
      'at-secret',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('alice');
    expect(text).toContain('[redacted]');
  });

  it('adds no trace ids outside a span', () => {
    const { logger, lines } = capture();
    logger.info('no request here');
    expect(lines()[0]).not.toHaveProperty('trace_id');
  });
});
