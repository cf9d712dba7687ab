import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fastifyAuth, type JwtVerifier } from '@shop/service-kit/auth';
import { problems } from '@shop/service-kit/fastify';
import { CategoryIdParams, CategoryList, CategorySchema, CreateCategoryBody } from './categories.schemas.js';
import type { CategoriesService } from './categories.service.js';

export interface CategoriesRoutesOptions {
  categories: CategoriesService;
  verifier: JwtVerifier;
}

const bearer = [{ bearerAuth: [] }];

export const categoriesRoutes: FastifyPluginAsyncTypebox<CategoriesRoutesOptions> = async (
  app,
  { categories, verifier },
) => {
  const adminOnly = fastifyAuth(verifier, { role: 'admin' });

  app.get(
    '/api/v1/categories',
    {
      schema: { tags: ['categories'], summary: 'All categories', response: { 200: CategoryList } },
    },
    async () => ({ items: await categories.list() }),
  );

  app.post(
    '/api/v1/categories',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['categories'],
        summary: 'Create a category (admin)',
        security: bearer,
        body: CreateCategoryBody,
        response: { 201: CategorySchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await categories.create(request.body)),
  );

  app.delete(
    '/api/v1/categories/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['categories'],
        summary: 'Delete a category (admin); its products stay, without a category',
        security: bearer,
        params: CategoryIdParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await categories.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
