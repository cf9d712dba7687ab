import { UnauthorizedError, ValidationError } from '@shop/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { PaymentsService } from '../payments/payments.service.js';
import { SIGNATURE_HEADER, verifySignature } from '../sandbox/webhook-signature.js';

export interface WebhooksRoutesOptions {
  payments: PaymentsService;
  signingKey: string;
  toleranceSeconds: number;
  nowSeconds?: () => number;
}

const sandboxEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(['charge.succeeded', 'charge.failed']),
  created: z.number().int(),
  data: z.object({
    charge_id: z.string().min(1).max(128),
    reference: z.uuid(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string(),
  }),
});

/**
 * `POST /api/v1/payments/webhooks/sandbox`: the provider's callback. The signature covers the raw
 * bytes, so this encapsulated plugin parses JSON itself after verifying; bad or stale signatures
 * are 401, and each provider event id is applied once.
 */
export const webhooksRoutes: FastifyPluginAsync<WebhooksRoutesOptions> = async (app, opts) => {
  const nowSeconds = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
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
        nowSeconds(),
        opts.toleranceSeconds,
      );
      if (!check.ok) {
        throw new UnauthorizedError({
          code: 'WEBHOOK.INVALID_SIGNATURE',
          detail: `webhook signature rejected (${check.reason})`,
        });
      }
      let parsed: z.infer<typeof sandboxEventSchema>;
      try {
        parsed = sandboxEventSchema.parse(JSON.parse(raw));
      } catch {
        throw new ValidationError({
          code: 'WEBHOOK.INVALID_PAYLOAD',
          detail: 'webhook body is not a sandbox event',
        });
      }
      const result = await opts.payments.handleWebhook(parsed);
      return reply.code(200).send({ received: true, duplicate: result.duplicate });
    },
  );
};
