export {
  mountOpenApi,
  type OpenApiDocumentOptions,
  type OpenApiResponse,
  type OpenApiRoute,
  openApiDocument,
} from './openapi.js';
export {
  type MountServiceKitOptions,
  mountErrorHandlers,
  mountServiceKit,
} from './service-kit.middleware.js';
export { type ValidateSchemas, validate } from './validate.middleware.js';
