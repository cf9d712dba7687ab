export { ProblemSchema } from '../errors/problem.schema.js';
export { issuesFromAjv as fastifyValidationIssues } from '../errors/validation-issues.js';
export { type OpenApiInfo, registerOpenApi } from './openapi.js';
export { problems } from './problem-responses.js';
export {
  fastifyRequestLine,
  installRequestLogController,
  RequestLogController,
  type RequestLogLine,
} from './request-log.js';
export { ResponseValidationError } from './response-validation.js';
export { type ServiceKitPluginOptions, serviceKitPlugin } from './service-kit.plugin.js';
