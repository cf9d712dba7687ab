import type { Server } from 'node:http';
import type { ServiceKit } from '../core/service-kit.js';

export { ProblemSchema } from '../errors/problem.schema.js';
export { issuesFromAjv as fastifyValidationIssues } from '../errors/validation-issues.js';
export { type OpenApiInfo, registerOpenApi } from './openapi.js';
export { problems } from './problem-responses.js';
export { ResponseValidationError } from './response-validation.js';
export { type ServiceKitPluginOptions, serviceKitPlugin } from './service-kit.plugin.js';

/** Listens with the kit (ready → listen → readiness on); same as `kit.listen(app.server, port)`. */
export async function listenFastify(
  kit: ServiceKit,
  // Structural so instances typed with a custom logger or type provider are accepted.
  app: { ready(): PromiseLike<unknown>; server: Server },
  port: number,
  host?: string,
): Promise<Server> {
  await app.ready();
  return kit.listen(app.server, port, host);
}
