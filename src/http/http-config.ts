import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import type { SettingsLayer } from '../config/settings.js';

const docsType = z.enum(['swagger', 'redoc']).nullable();
const seconds = () => z.number().positive().optional();

/**
 * The `api:` configuration section, also the DI token of HTTP settings: list it
 * in `ConfigService({ sections: [HttpConfig] })` to read YAML/env, or provide it yourself
 * (`provide(HttpConfig, { value: { port: 8080 } })`). Constructor options win over it.
 */
export const HttpConfig = configSection(
  'api',
  z
    .strictObject({
      address: z.string().optional(),
      port: z.number().int().min(0).max(65535).optional(),
      static_endpoint_prefix: z.string().optional(),
      static_files_root: z.string().optional(),
      docs_default_path: z.string().optional(),
      docs_swagger_path: z.string().optional(),
      docs_redoc_path: z.string().optional(),
      docs_title: z.string().optional(),
      docs_servers: z.array(z.string()).optional(),
      docs_default_type: docsType.optional(),
      docs_remove_path_prefix: z.string().optional(),
      docs_tag_descriptions: z.record(z.string(), z.string()).optional(),
      docs_tag_groups: z.record(z.string(), z.array(z.string())).optional(),
      request_timeout: seconds(),
      headers_timeout: seconds(),
      keep_alive_timeout: seconds(),
      shutdown_timeout: seconds(),
    })
    .default({}),
);

/** The HTTP settings in effect, after precedence (constructor > DI > defaults). */
export interface HttpSettings {
  readonly address: string;
  /** 0 picks a free port (see `HttpService.url`). */
  readonly port: number;
  readonly staticEndpointPrefix: string;
  /** A directory served under the static prefix; none by default. */
  readonly staticFilesRoot: string | undefined;
  readonly docsDefaultPath: string;
  readonly docsSwaggerPath: string;
  readonly docsRedocPath: string;
  readonly docsTitle: string;
  readonly docsServers: readonly string[];
  /** Where `docsDefaultPath` redirects; `null` for no redirect. */
  readonly docsDefaultType: 'swagger' | 'redoc' | null;
  /** Removed from the start of every path in the OpenAPI document (e.g. `/v1`). */
  readonly docsRemovePathPrefix: string | undefined;
  readonly docsTagDescriptions: Readonly<Record<string, string>>;
  /** Rendered as `x-tagGroups`. */
  readonly docsTagGroups: Readonly<Record<string, readonly string[]>>;
  /**
   * Seconds a client has to send a whole request, body included (Node's `requestTimeout`);
   * past it the request is answered 408 and its connection closed.
   */
  readonly requestTimeout: number;
  /** Seconds a client has to send the request's headers (Node's `headersTimeout`); at most `requestTimeout`. */
  readonly headersTimeout: number;
  /** Seconds an idle keep-alive connection stays open (Node's `keepAliveTimeout`). */
  readonly keepAliveTimeout: number;
  /**
   * Seconds requests in flight get once stopping has begun; then their connections are
   * destroyed, so a stalled client cannot hold up the stop.
   */
  readonly shutdownTimeout: number;
}

/**
 * The HTTP settings in effect where neither the constructor nor the `api:` section gives
 * one: port 8080 on every interface, Swagger UI at `/docs`, the client timeouts below.
 */
export const HTTP_DEFAULTS: HttpSettings = {
  address: '0.0.0.0',
  port: 8080,
  staticEndpointPrefix: '/static/',
  staticFilesRoot: undefined,
  docsDefaultPath: '/docs',
  docsSwaggerPath: '/docs/swagger',
  docsRedocPath: '/docs/redoc',
  docsTitle: 'API',
  docsServers: [],
  docsDefaultType: 'swagger',
  docsRemovePathPrefix: undefined,
  docsTagDescriptions: {},
  docsTagGroups: {},
  // Node's 300 s (and Fastify's none) let a slow client hold a connection for minutes; 30 s
  // still lets a full 1 MiB body arrive at ~35 KB/s.
  requestTimeout: 30,
  // Headers are small: a client that needs longer is a slowloris (Node: 60 s).
  headersTimeout: 10,
  // Fastify's default: longer than the 60 s idle timeout of common load balancers, so the
  // balancer closes first and never sends on a socket the server has just closed (Node: 5 s).
  keepAliveTimeout: 72,
  // Well under the application's per-service stop bound (10 s) and Kubernetes' 30 s grace
  // period, so the services below (the database pool) still stop cleanly.
  shutdownTimeout: 5,
};

/** The `api:` section's snake_case keys as settings. */
export function settingsFromConfig(
  config: z.output<typeof HttpConfig.schema>,
): SettingsLayer<HttpSettings> {
  return {
    address: config.address,
    port: config.port,
    staticEndpointPrefix: config.static_endpoint_prefix,
    staticFilesRoot: config.static_files_root,
    docsDefaultPath: config.docs_default_path,
    docsSwaggerPath: config.docs_swagger_path,
    docsRedocPath: config.docs_redoc_path,
    docsTitle: config.docs_title,
    docsServers: config.docs_servers,
    docsDefaultType: config.docs_default_type,
    docsRemovePathPrefix: config.docs_remove_path_prefix,
    docsTagDescriptions: config.docs_tag_descriptions,
    docsTagGroups: config.docs_tag_groups,
    requestTimeout: config.request_timeout,
    headersTimeout: config.headers_timeout,
    keepAliveTimeout: config.keep_alive_timeout,
    shutdownTimeout: config.shutdown_timeout,
  };
}
