import type { FastifyPluginAsync } from 'fastify';
import type { PaymentsService } from '../payments/payments.service.js';
import { SIGNATURE_HEADER, verifySignature } from '../sandbox/webhook-signature.js';
import { invalidWebhookPayload, invalidWebhookSignature } from './webhooks.errors.js';
import { type SandboxEvent, sandboxEventSchema } from './webhooks.schemas.js';

export interface WebhooksRoutesOptions {
  payments: Pick<PaymentsService, 'handleWebhook'>;
  signingKey: string;
  toleranceSeconds: number;
  nowSeconds: () => number;
}

/**
 * `POST /api/v1/payments/webhooks/sandbox`: the provider's callback. The signature covers the raw
 * bytes, so this encapsulated plugin parses JSON itself after verifying; bad or stale signatures
 * are 401, and each provider event id is applied once.
 */
export const webhooksRoutes: FastifyPluginAsync<WebhooksRoutesOptions> = async (app, opts) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/api/v1/payments/webhooks/sandbox',
    {
      schema: {
        tags: ['webhooks'],
        summary: `Sandbox provider webhook, signed with HMAC-SHA256 over "<t>.<raw body>" in ${SIGNATURE_HEADER}`,
      },
    },
    async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const header = request.headers[SIGNATURE_HEADER];
      const check = verifySignature(
        opts.signingKey,
        typeof header === 'string' ? header : undefined,
        raw,
        opts.nowSeconds(),
        opts.toleranceSeconds,
      );
      if (!check.ok) throw invalidWebhookSignature(check.reason);
      let parsed: SandboxEvent;
      try {
        parsed = sandboxEventSchema.parse(JSON.parse(raw));
      } catch {
        throw invalidWebhookPayload();
      }
      const result = await opts.payments.handleWebhook(parsed);
      return reply.code(200).send({ received: true, duplicate: result.duplicate });
    },
  );
};
