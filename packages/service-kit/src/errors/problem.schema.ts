import { Type } from 'typebox';

/**
 * RFC 9457 problem details as the kit sends them (`problemFromError`); open-ended so new members never
 * fail validation. The one statement of the shape: fastify route schemas use it through `problems()`,
 * and both OpenAPI generators (fastify's `registerOpenApi`, express's `mountOpenApi`) publish it.
 * A TypeBox schema is a plain JSON Schema object, so the express side embeds it as it is.
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);
