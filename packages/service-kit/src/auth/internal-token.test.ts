import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { serviceKitPlugin } from '../fastify/index.js';
import { createLogger, createServiceKit } from '../index.js';
import { hasInternalToken, internalTokenGuard } from './internal-token.js';

const TOKEN = 'internal-token-0123456789abcdef';

describe('hasInternalToken', () => {
  it('accepts only the exact configured token in X-Internal-Token', () => {
    expect(hasInternalToken({ 'x-internal-token': TOKEN }, TOKEN)).toBe(true);
    expect(hasInternalToken({ 'x-internal-token': `${TOKEN}x` }, TOKEN)).toBe(false);
    expect(hasInternalToken({ 'x-internal-token': TOKEN.slice(0, 8) }, TOKEN)).toBe(false);
    expect(hasInternalToken({ 'x-internal-token': [TOKEN, TOKEN] }, TOKEN)).toBe(false);
    expect(hasInternalToken({}, TOKEN)).toBe(false);
  });

  it('refuses everything when no token is configured, even an empty header', () => {
    expect(hasInternalToken({ 'x-internal-token': '' }, undefined)).toBe(false);
    expect(hasInternalToken({ 'x-internal-token': '' }, '')).toBe(false);
  });
});

describe('internalTokenGuard (fastify)', () => {
  async function appWith(token: string | undefined) {
    const kit = createServiceKit({
      name: 'internal-token-test',
      logger: createLogger({ name: 'internal-token-test', level: 'silent' }),
      exit: () => {},
      flushTelemetryOnShutdown: false,
    });
    const app = Fastify();
    await app.register(serviceKitPlugin, { kit });
    app.get('/internal/v1/ping', { onRequest: internalTokenGuard(token) }, async () => ({ ok: true }));
    return app;
  }

  it('lets a caller with the token in and answers others with 401 problem+json', async () => {
    const app = await appWith(TOKEN);
    try {
      const ok = await app.inject({ url: '/internal/v1/ping', headers: { 'x-internal-token': TOKEN } });
      expect(ok.json()).toEqual({ ok: true });
      const denied = await app.inject({ url: '/internal/v1/ping', headers: { 'x-internal-token': 'nope' } });
      expect(denied.statusCode).toBe(401);
      expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(denied.json()).toMatchObject({ code: 'AUTH.INVALID_INTERNAL_TOKEN' });
    } finally {
      await app.close();
    }
  });

  it('says the internal API is disabled when INTERNAL_API_TOKEN is not configured', async () => {
    const app = await appWith(undefined);
    try {
      const res = await app.inject({ url: '/internal/v1/ping', headers: { 'x-internal-token': '' } });
      expect(res.statusCode).toBe(401);
      expect(res.json().detail).toMatch(/INTERNAL_API_TOKEN is not configured/);
    } finally {
      await app.close();
    }
  });
});
