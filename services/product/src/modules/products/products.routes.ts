import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fastifyAuth, type JwtVerifier } from '@shop/service-kit/auth';
import { problems } from '@shop/service-kit/fastify';
import type { FastifyReply } from 'fastify';
import {
  CreateProductBody,
  IfMatchHeaders,
  ProductIdParams,
  ProductPage,
  ProductSchema,
  SearchQuery,
  UpdateProductBody,
} from './products.schemas.js';
import { etagOf, type ProductsService } from './products.service.js';

export interface ProductsRoutesOptions {
  products: ProductsService;
  verifier: JwtVerifier;
}

const bearer = [{ bearerAuth: [] }];

/**
 * Sends JSON this route's serializer printed earlier (and checked against its schema): a string with a
 * JSON content type skips the serializer, so cached text goes out as stored.
 */
const sendPrinted = (reply: FastifyReply, json: string) =>
  reply.type('application/json; charset=utf-8').send(json as never);

export const productsRoutes: FastifyPluginAsyncTypebox<ProductsRoutesOptions> = async (app, options) => {
  await app.register(productReadRoutes, options);
  await app.register(productAdminRoutes, options);
};

/** Public reads: search and one product. */
const productReadRoutes: FastifyPluginAsyncTypebox<ProductsRoutesOptions> = async (app, { products }) => {
  app.get(
    '/api/v1/products',
    {
      schema: {
        tags: ['products'],
        summary: 'Search active products: full-text, category, price range, sort, cursor pagination',
        querystring: SearchQuery,
        response: { 200: ProductPage, ...problems(400) },
      },
    },
    async (request, reply) => {
      // A page is printed by this route's serializer (checked against ProductPage) before it is cached.
      return sendPrinted(
        reply,
        await products.search(request.query, (body) => String(reply.serialize(body))),
      );
    },
  );

  app.get(
    '/api/v1/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'One product (served from the Redis cache when possible); ETag = version',
        params: ProductIdParams,
        response: { 200: ProductSchema, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      // As for search: printed by this route's serializer (checked against ProductSchema) before it is cached.
      const { etag, body } = await products.get(request.params.id, (p) => String(reply.serialize(p)));
      return sendPrinted(reply.header('etag', etag), body);
    },
  );
};

/** Admin writes: create, update (If-Match required), delete. */
const productAdminRoutes: FastifyPluginAsyncTypebox<ProductsRoutesOptions> = async (
  app,
  { products, verifier },
) => {
  const adminOnly = fastifyAuth(verifier, { role: 'admin' });

  app.post(
    '/api/v1/products',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['products'],
        summary: 'Create a product (admin)',
        security: bearer,
        body: CreateProductBody,
        response: { 201: ProductSchema, ...problems(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const product = await products.create(request.body);
      return reply
        .code(201)
        .header('location', `/api/v1/products/${product.id}`)
        .header('etag', etagOf(product))
        .send(product);
    },
  );

  app.patch(
    '/api/v1/products/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['products'],
        summary:
          'Update a product (admin); requires If-Match with the current ETag (412 when stale, 428 when absent)',
        security: bearer,
        params: ProductIdParams,
        headers: IfMatchHeaders,
        body: UpdateProductBody,
        response: { 200: ProductSchema, ...problems(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const product = await products.update(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(product)).send(product);
    },
  );

  app.delete(
    '/api/v1/products/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['products'],
        summary: 'Delete a product (admin); If-Match optional (412 when stale)',
        security: bearer,
        params: ProductIdParams,
        headers: IfMatchHeaders,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problems(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      await products.remove(request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
};
