import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { redactPaths } from '../src/logger/logger.js';

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

  it('redacts secrets of the logged config, token bodies and bare headers, with no wildcard path', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        config: {
          DB_PASSWORD: 'db-secret',
          REDIS_PASSWORD: 'redis-secret',
          INTERNAL_API_TOKEN: 'internal-secret',
          JWT_PRIVATE_KEY: 'jwt-secret',
          PAYMENT_GATEWAY_KEY: 'gateway-secret',
          ADMIN_PASSWORD: 'admin-secret',
          DB_POOL_SIZE: 7,
        },
        headers: { authorization: 'Bearer bare-secret', 'set-cookie': 'sid=cookie-secret' },
        body: { refresh_token: 'body-rt-secret', token: 'body-token-secret' },
        refresh_token: 'rt2-secret',
        token: 'token-secret',
      },
      'starting',
    );
    const line = lines()[0]!;
    expect(JSON.stringify(line)).not.toMatch(/secret/);
    expect(line.config).toMatchObject({ DB_POOL_SIZE: 7, DB_PASSWORD: '[redacted]' });
    // Wildcards walk every key of every line; the list names each path instead.
    expect(redactPaths.filter((p) => p.includes('*'))).toEqual([]);
  });

  it('adds no trace ids outside a span', () => {
    const { logger, lines } = capture();
    logger.info('no request here');
    expect(lines()[0]).not.toHaveProperty('trace_id');
  });

  it('writes stdout asynchronously (no write(2) per line on the request path) and still flushes on exit', () => {
    const logger = createLogger({ name: 'async' });
    const stream = (logger as unknown as Record<symbol, { sync: boolean }>)[pino.symbols.streamSym];
    expect(stream?.sync).toBe(false);
    // A process that logs and exits at once (as the shutdown does) loses no line.
    const entry = JSON.stringify(new URL('../dist/index.js', import.meta.url).href);
    const script = `const { createLogger } = await import(${entry});
      const logger = createLogger({ name: 'exit' });
      for (let i = 0; i < 1000; i++) logger.info({ i }, 'line');
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(1000);
  });
});
