import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '@shop/service-kit/fastify';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { ReconciliationService } from './reconciliation.service.js';

export interface ReconciliationRoutesOptions {
  reconciliation: ReconciliationService;
  authorize: preHandlerAsyncHookHandler;
}

const Entry = Type.Object(
  {
    kind: Type.String(),
    provider_ref: Type.Union([Type.String(), Type.Null()]),
    ledger_id: Type.Union([Type.String(), Type.Null()]),
    ledger_amount: Type.Union([Type.Integer(), Type.Null()]),
    provider_amount: Type.Union([Type.Integer(), Type.Null()]),
    provider_status: Type.Optional(Type.String()),
    currency: Type.String(),
    side: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const reconciliationRoutes: FastifyPluginAsyncTypebox<ReconciliationRoutesOptions> = async (
  app,
  { reconciliation, authorize },
) => {
  app.post(
    '/api/v1/payments/reconciliations',
    {
      preHandler: authorize,
      schema: {
        tags: ['reconciliation'],
        summary: 'Compare the ledger with the provider records of one UTC day (one replica at a time)',
        security: [{ bearerAuth: [] }, { internalToken: [] }],
        body: Type.Object(
          { date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-01-31'] }) },
          {
            additionalProperties: false,
          },
        ),
        response: {
          200: Type.Object({
            date: Type.String(),
            provider: Type.String(),
            generated_at: Type.String(),
            totals: Type.Object({
              matched: Type.Integer(),
              missing: Type.Integer(),
              mismatched: Type.Integer(),
            }),
            matched: Type.Array(Entry),
            missing: Type.Array(Entry),
            mismatched: Type.Array(Entry),
          }),
          ...problems(400, 401, 403, 409),
        },
      },
    },
    async (request) => reconciliation.run(request.body.date),
  );
};
