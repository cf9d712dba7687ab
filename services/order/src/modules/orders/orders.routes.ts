import { DomainError, problemFromError, ValidationError } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { expressAuth } from '@shop/service-kit/auth';
import { validate } from '@shop/service-kit/express';
import { type Request, type Response, Router } from 'express';
import { IdempotencyStore } from './idempotency.store.js';
import { idempotencyKeyReused, idempotentRequestInProgress } from './orders.errors.js';
import {
  type CreateOrderInput,
  createOrderBody,
  idempotencyKeyHeader,
  listOrdersQuery,
  orderIdParams,
} from './orders.schemas.js';
import type { OrdersService } from './orders.service.js';

export interface OrdersRoutesOptions {
  orders: OrdersService;
  verifier: JwtVerifier;
  idempotency: IdempotencyStore;
}

function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = idempotencyKeyHeader.safeParse(Array.isArray(raw) ? raw[0] : raw);
  if (!parsed.success) {
    throw new ValidationError({
      detail: 'Idempotency-Key must be 1–255 characters',
      errors: [{ pointer: '/headers/idempotency-key', detail: 'must be 1–255 characters' }],
    });
  }
  return parsed.data;
}

/** `/api/v1/orders` routes (express). */
export function ordersRouter({ orders, verifier, idempotency }: OrdersRoutesOptions): Router {
  const router = Router();
  const auth = expressAuth(verifier);

  router.post(
    '/api/v1/orders',
    auth,
    validate({ body: createOrderBody }),
    async (req: Request, res: Response) => {
      const user = req.user!;
      const input = req.body as CreateOrderInput;
      const key = idempotencyKeyOf(req);
      if (!key) {
        const { order } = await orders.place(user, input, undefined);
        res.status(201).location(`/api/v1/orders/${order.id}`).json(order);
        return;
      }
      const fp = IdempotencyStore.fingerprint(input);
      const begun = await idempotency.begin(user.id, key, fp);
      if (begun.kind === 'mismatch') throw idempotencyKeyReused();
      if (begun.kind === 'in_progress') throw idempotentRequestInProgress();
      if (begun.kind === 'replay') {
        const { status, body, headers } = begun.response;
        res
          .status(status)
          .set(headers ?? {})
          .set('Idempotent-Replayed', 'true');
        if (status >= 400) res.type('application/problem+json').send(JSON.stringify(body));
        else res.json(body);
        return;
      }
      try {
        const { order, created } = await orders.place(user, input, key);
        const status = created ? 201 : 200;
        await idempotency.complete(user.id, key, fp, {
          status,
          body: order,
          headers: { Location: `/api/v1/orders/${order.id}` },
        });
        res.status(status).location(`/api/v1/orders/${order.id}`).json(order);
      } catch (err) {
        // Client errors are final answers and replayed; 5xx leave the key free for a retry.
        if (err instanceof DomainError && err.status < 500) {
          const problem = problemFromError(err, { instance: req.originalUrl });
          await idempotency.complete(user.id, key, fp, {
            status: problem.status,
            body: problem.body,
            headers: problem.headers,
          });
        } else {
          await idempotency.abandon(user.id, key);
        }
        throw err;
      }
    },
  );

  router.get(
    '/api/v1/orders',
    auth,
    validate({ query: listOrdersQuery }),
    async (req: Request, res: Response) => {
      const q = req.query as unknown as { limit: number; cursor?: string };
      res.json(await orders.listMine(req.user!, q.limit, q.cursor));
    },
  );

  router.get(
    '/api/v1/orders/:id',
    auth,
    validate({ params: orderIdParams }),
    async (req: Request, res: Response) => {
      res.json(await orders.getVisible(req.user!, String(req.params.id)));
    },
  );

  router.post(
    '/api/v1/orders/:id/cancel',
    auth,
    validate({ params: orderIdParams }),
    async (req: Request, res: Response) => {
      res.json(await orders.cancel(req.user!, String(req.params.id)));
    },
  );
  return router;
}
