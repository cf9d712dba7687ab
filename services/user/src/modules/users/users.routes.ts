import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fastifyAuth, type JwtVerifier } from '@shop/service-kit/auth';
import { problems } from '@shop/service-kit/fastify';
import { ProfilePatchBody, RegisterBody, UserIdParams, UserSchema } from './users.schemas.js';
import type { UsersService } from './users.service.js';

export interface UsersRoutesOptions {
  users: UsersService;
  verifier: JwtVerifier;
}

const bearer = [{ bearerAuth: [] }];

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (
  app,
  { users, verifier },
) => {
  const authenticated = fastifyAuth(verifier);
  const adminOnly = fastifyAuth(verifier, { role: 'admin' });

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Register a customer account',
        body: RegisterBody,
        response: { 201: UserSchema, ...problems(400, 409) },
      },
    },
    async (request, reply) => {
      const user = await users.register(request.body);
      return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(user);
    },
  );

  app.get(
    '/api/v1/users/me',
    {
      onRequest: authenticated,
      schema: {
        tags: ['users'],
        summary: 'The caller’s account',
        security: bearer,
        response: { 200: UserSchema, ...problems(401) },
      },
    },
    async (request) => users.get(request.user!.id),
  );

  app.patch(
    '/api/v1/users/me',
    {
      onRequest: authenticated,
      schema: {
        tags: ['users'],
        summary: 'Update profile fields (display_name, phone); any other field is rejected',
        security: bearer,
        body: ProfilePatchBody,
        response: { 200: UserSchema, ...problems(400, 401) },
      },
    },
    async (request) => users.updateProfile(request.user!.id, request.body),
  );

  app.get(
    '/api/v1/users/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['users'],
        summary: 'Any account by id (admin only)',
        security: bearer,
        params: UserIdParams,
        response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => users.get(request.params.id),
  );
};
