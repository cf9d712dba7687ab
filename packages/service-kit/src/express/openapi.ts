import type { Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import {
  OPENAPI_VERSION,
  type OpenApiInfo,
  SECURITY_SCHEMES,
  type SecuritySchemeName,
} from '../core/openapi-common.js';
import { ProblemSchema } from '../errors/problem.schema.js';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One answer of a route: a description and, unless the answer has no body, its zod schema (output side). */
export interface OpenApiResponse {
  description: string;
  body?: z.ZodType;
}

/**
 * One route as the OpenAPI document describes it. Request schemas (params, query, headers, body) are
 * documented on zod's input side (what a client sends: defaults optional, before transforms), response
 * schemas on the output side. `params`, `query` and `headers` are zod objects, one parameter per key;
 * a key's `.describe()` becomes the parameter's description.
 */
export interface OpenApiRoute {
  method: Method;
  /** Express-style path: `/api/v1/orders/:id` is documented as `/api/v1/orders/{id}`. */
  path: string;
  summary: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  /** Security schemes the route requires, any one of them (`['bearerAuth']`); omitted = public. */
  security?: SecuritySchemeName[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, OpenApiResponse>;
  /** Statuses the kit's error handler answers with problem+json (`components.schemas.Problem`). */
  problems?: number[];
}

export interface OpenApiDocumentOptions extends OpenApiInfo {
  routes: OpenApiRoute[];
  /**
   * Schemas published under `components.schemas` by name and referenced (`$ref`) wherever a route or
   * another schema uses the same zod schema. `Problem` is always there (the kit's problem schema).
   */
  components?: Record<string, z.ZodType>;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const REF_PREFIX = '#/components/schemas/';

interface ConvertedSide {
  /** Route-level schemas: a `$ref` for a named component, else the inline JSON Schema. */
  roots: Map<z.ZodType, JsonSchema>;
  /** Every named component, converted on this side. */
  components: Map<string, JsonSchema>;
  /** Component names reachable from the roots (directly or nested). */
  used: Set<string>;
}

/**
 * Converts the schemas of one side (input: what clients send; output: what the service answers) in
 * one pass over a registry, so a named component nested anywhere becomes a `$ref` instead of a copy.
 * `refName` says under which name the side's version of a component is published.
 */
function convertSide(
  io: Io,
  roots: Set<z.ZodType>,
  components: Map<z.ZodType, string>,
  refName: (component: string) => string,
): ConvertedSide {
  const registry = z.registry<{ id: string }>();
  for (const [schema, name] of components) registry.add(schema, { id: name });
  const rootIds = new Map<z.ZodType, string>();
  for (const schema of roots) {
    if (components.has(schema)) continue;
    const id = `route-schema-${rootIds.size}`;
    rootIds.set(schema, id);
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    // A transform has no output JSON Schema; a component converted on the side it is not used on
    // must not fail the document (a route's own schema showing `{}` is visible in the test of it).
    unrepresentable: 'any',
    uri: (id) => REF_PREFIX + (id.startsWith('route-schema-') ? id : refName(id)),
    // zod writes a format's regex next to `format` (uuid, date-time): the format says it for readers.
    override: ({ zodSchema, jsonSchema }) => {
      if (jsonSchema.format && (zodSchema._zod.def as { format?: string }).format) delete jsonSchema.pattern;
    },
  }) as { schemas: Record<string, JsonSchema> };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const text = JSON.stringify(schemas);
  if ('__shared' in schemas || text.includes(`"$ref":"${REF_PREFIX}route-schema-`)) {
    throw new Error(
      'openApiDocument: a schema is recursive or nested in another route schema; name it in `components`',
    );
  }

  const byRef = new Map([...components.values()].map((name) => [REF_PREFIX + refName(name), name]));
  const convertedComponents = new Map([...components.values()].map((name) => [name, schemas[name]!]));
  const convertedRoots = new Map<z.ZodType, JsonSchema>();
  const used = new Set<string>();
  const visit = (json: unknown): void => {
    if (Array.isArray(json)) json.forEach(visit);
    else if (json && typeof json === 'object') {
      for (const [key, value] of Object.entries(json)) {
        const name = key === '$ref' && typeof value === 'string' ? byRef.get(value) : undefined;
        if (name !== undefined) {
          if (used.has(name)) continue;
          used.add(name);
          visit(convertedComponents.get(name));
        } else visit(value);
      }
    }
  };
  for (const schema of roots) {
    const name = components.get(schema);
    const json = name === undefined ? schemas[rootIds.get(schema)!]! : { $ref: REF_PREFIX + refName(name) };
    convertedRoots.set(schema, json);
    visit(json);
  }
  return { roots: convertedRoots, components: convertedComponents, used };
}

/**
 * Both sides, and the components to publish: a component only clients send is published in its input
 * form, everything else in its output form; one used both ways whose two forms differ (defaults,
 * transforms) gets its input form as `<Name>Input` too, and the input side refers to that.
 */
function convertAll(
  inputRoots: Set<z.ZodType>,
  outputRoots: Set<z.ZodType>,
  components: Map<z.ZodType, string>,
) {
  const output = convertSide('output', outputRoots, components, (name) => name);
  const renamed = new Set<string>();
  for (;;) {
    const input = convertSide('input', inputRoots, components, (name) =>
      renamed.has(name) ? `${name}Input` : name,
    );
    const differ = [...input.used].filter(
      (name) =>
        !renamed.has(name) &&
        output.used.has(name) &&
        JSON.stringify(input.components.get(name)) !== JSON.stringify(output.components.get(name)),
    );
    if (differ.length) {
      for (const name of differ) renamed.add(name);
      continue;
    }
    const published: Record<string, JsonSchema> = {};
    for (const name of components.values()) {
      const onlyInput = input.used.has(name) && !output.used.has(name);
      published[name] = (onlyInput ? input : output).components.get(name)!;
      if (renamed.has(name)) published[`${name}Input`] = input.components.get(name)!;
    }
    return { input: input.roots, output: output.roots, published };
  }
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** One OpenAPI parameter per property of an object schema (path, query or header). */
function parametersOf(objectSchema: JsonSchema, location: 'path' | 'query' | 'header') {
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((objectSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...schema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema,
    };
  });
}

/** The converted schemas a route's operation is written from. */
interface RouteSchemas {
  /** Request schema as documented: inline, or a `$ref` to its component's input form. */
  input(schema: z.ZodType): JsonSchema;
  /** Response schema as documented: inline, or a `$ref` to its component. */
  output(schema: z.ZodType): JsonSchema;
  /** A parameter object's JSON Schema itself (parameters are listed one by one, never `$ref`ed). */
  inline(schema: z.ZodType): JsonSchema;
}

function operationOf(route: OpenApiRoute, schemas: RouteSchemas) {
  const parameters = [
    ...(route.params ? parametersOf(schemas.inline(route.params), 'path') : []),
    ...(route.query ? parametersOf(schemas.inline(route.query), 'query') : []),
    ...(route.headers ? parametersOf(schemas.inline(route.headers), 'header') : []),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.body
        ? { content: { 'application/json': { schema: schemas.output(response.body) } } }
        : {}),
    };
  }
  for (const status of route.problems ?? []) {
    responses[String(status)] = {
      description: 'RFC 9457 problem details',
      content: { 'application/problem+json': { schema: PROBLEM_REF } },
    };
  }
  return {
    ...(route.operationId ? { operationId: route.operationId } : {}),
    ...(route.tags ? { tags: route.tags } : {}),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.security ? { security: route.security.map((name) => ({ [name]: [] })) } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemas.input(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of an express service, generated from its routes' zod schemas. The same
 * shape as fastify's `registerOpenApi` produces: the security schemes `bearerAuth`/`internalToken` and
 * the kit's problem schema (`components.schemas.Problem`, answered as `application/problem+json`).
 */
export function openApiDocument(options: OpenApiDocumentOptions) {
  const { routes, components = {}, ...info } = options;
  const componentNames = new Map<z.ZodType, string>(
    Object.entries(components).map(([name, schema]) => [schema, name]),
  );
  const inputRoots = new Set<z.ZodType>();
  const outputRoots = new Set<z.ZodType>();
  for (const route of routes) {
    for (const schema of [route.params, route.query, route.headers, route.body])
      if (schema) inputRoots.add(schema);
    for (const response of Object.values(route.responses)) if (response.body) outputRoots.add(response.body);
  }
  const converted = convertAll(inputRoots, outputRoots, componentNames);
  const schemas: RouteSchemas = {
    input: (schema) => converted.input.get(schema)!,
    output: (schema) => converted.output.get(schema)!,
    inline: (schema) => {
      const name = componentNames.get(schema);
      if (name === undefined) return converted.input.get(schema)!;
      return converted.published[`${name}Input`] ?? converted.published[name]!;
    },
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operationOf(route, schemas) };
  }
  return {
    openapi: OPENAPI_VERSION,
    info,
    components: {
      securitySchemes: structuredClone(SECURITY_SCHEMES),
      schemas: {
        Problem: JSON.parse(JSON.stringify(ProblemSchema)) as JsonSchema,
        ...converted.published,
      } as Record<string, JsonSchema>,
    },
    paths,
  };
}

/**
 * Serves the document at `/openapi.json` and Swagger UI at `/docs` (the same paths as fastify's
 * `registerOpenApi`). Mount it before the routes and error handlers; it is built once, here.
 */
export function mountOpenApi(app: Express, options: OpenApiDocumentOptions): void {
  const doc = openApiDocument(options);
  app.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(doc));
}
