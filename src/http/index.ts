export type { ErrorEnvelope, SuccessEnvelope } from './envelope.js';
export { type HttpFailure, toHttpFailure } from './error-mapping.js';
export { HTTP_DEFAULTS, HttpConfig, type HttpSettings } from './http-config.js';
export { HttpError, type InputIssue, type InputLocation } from './http-error.js';
export { HttpRequest } from './http-request.js';
export { HttpService, type HttpServiceOptions } from './http-service.js';
export { buildOpenApi, type OpenApiDocument } from './openapi.js';
export { accepted, created, noContent, Outcome, RawResponse, raw, withStatus } from './response.js';
export {
  type HandlerContext,
  type HandlerResult,
  type HttpMethod,
  type Injections,
  type PathParams,
  type Route,
  type RouteOptions,
  route,
} from './route.js';
