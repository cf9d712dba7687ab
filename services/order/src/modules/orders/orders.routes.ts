import { ValidationError } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { expressAuth } from '@shop/service-kit/auth';
import { validate } from '@shop/service-kit/express';
import { type Request, type Response, Router } from 'express';
import { checkoutFingerprint } from './checkout.fingerprint.js';
import type { IdempotencyStore, SuccessResponse } from './idempotency.store.js';
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
      const place = async (): Promise<SuccessResponse> => {
        const { order, created } = await orders.place(user, input, key);
        return {
          status: created ? 201 : 200,
          body: order,
          headers: { Location: `/api/v1/orders/${order.id}` },
        };
      };
      // With a key, the Redis record answers replays and concurrent duplicates (errors are rendered
      // by the kit's handler, replays included); the saga itself resumes by the same key.
      const { response, replayed } = key
        ? await idempotency.run(user.id, key, checkoutFingerprint(input), place)
        : { response: await place(), replayed: false };
      res.status(response.status).set(response.headers ?? {});
      if (replayed) res.set('Idempotent-Replayed', 'true');
      res.json(response.body);
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
