import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problems } from '@shop/service-kit/fastify';
import { OrderIdParams, ReservationSchema, ReserveBody } from './inventory.schemas.js';
import type { InventoryService } from './inventory.service.js';

export interface InventoryRoutesOptions {
  inventory: InventoryService;
  /** onRequest guard checking X-Internal-Token. */
  guard: (request: import('fastify').FastifyRequest) => Promise<void>;
}

const internal = [{ internalToken: [] }];

/** Every internal route answers only callers with the internal token (the hook covers both groups). */
export const inventoryRoutes: FastifyPluginAsyncTypebox<InventoryRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', options.guard);
  await app.register(reservationRoutes, options);
  await app.register(reservationTransitionRoutes, options);
};

/** Reserve and read. */
const reservationRoutes: FastifyPluginAsyncTypebox<InventoryRoutesOptions> = async (app, { inventory }) => {
  app.post(
    '/internal/v1/reservations',
    {
      schema: {
        tags: ['inventory (internal)'],
        summary: 'Reserve stock for an order: all-or-nothing, idempotent per order_id',
        security: internal,
        body: ReserveBody,
        response: { 201: ReservationSchema, 200: ReservationSchema, ...problems(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { created, reservation } = await inventory.reserve(request.body);
      return reply.code(created ? 201 : 200).send(reservation);
    },
  );

  app.get(
    '/internal/v1/reservations/:order_id',
    {
      schema: {
        tags: ['inventory (internal)'],
        summary: 'A reservation and its lines',
        security: internal,
        params: OrderIdParams,
        response: { 200: ReservationSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => inventory.get(request.params.order_id),
  );
};

/** The state changes the order service drives: commit, release, restock. */
const reservationTransitionRoutes: FastifyPluginAsyncTypebox<InventoryRoutesOptions> = async (
  app,
  { inventory },
) => {
  app.post(
    '/internal/v1/reservations/:order_id/commit',
    {
      schema: {
        tags: ['inventory (internal)'],
        summary: 'Commit the reservation (order paid); idempotent',
        security: internal,
        params: OrderIdParams,
        response: { 200: ReservationSchema, ...problems(400, 401, 404, 409) },
      },
    },
    async (request) => inventory.commit(request.params.order_id),
  );

  app.post(
    '/internal/v1/reservations/:order_id/release',
    {
      schema: {
        tags: ['inventory (internal)'],
        summary: 'Release the reservation and return its stock (order cancelled/failed); idempotent',
        security: internal,
        params: OrderIdParams,
        response: { 200: ReservationSchema, ...problems(400, 401, 404, 409) },
      },
    },
    async (request) => inventory.release(request.params.order_id),
  );

  app.post(
    '/internal/v1/reservations/:order_id/restock',
    {
      schema: {
        tags: ['inventory (internal)'],
        summary:
          'Return the stock of a refunded order (COMMITTED → RETURNED; RESERVED → RELEASED); idempotent',
        security: internal,
        params: OrderIdParams,
        response: { 200: ReservationSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => inventory.restock(request.params.order_id),
  );
};
