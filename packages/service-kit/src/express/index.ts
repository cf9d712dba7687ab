export {
  type MountServiceKitOptions,
  mountErrorHandlers,
  mountServiceKit,
} from './service-kit.middleware.js';
export { type ValidateSchemas, validate } from './validate.middleware.js';
