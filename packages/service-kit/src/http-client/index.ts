export {
  type BreakerOptions,
  createHttpClient,
  type HttpClient,
  type HttpClientKit,
  type HttpClientOptions,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
} from './http-client.js';
