import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '@shop/service-kit/fastify';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { ReconciliationReport, ReconciliationRequest } from './reconciliation.schemas.js';
import type { ReconciliationService } from './reconciliation.service.js';

export interface ReconciliationRoutesOptions {
  reconciliation: ReconciliationService;
  authorize: preHandlerAsyncHookHandler;
}

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
        body: ReconciliationRequest,
        response: { 200: ReconciliationReport, ...problems(400, 401, 403, 409) },
      },
    },
    async (request) => reconciliation.run(request.body.date),
  );
};
