import type { FastifyInstance } from 'fastify';
import type * as z from 'zod';
import { resolveSettings } from '../config/settings.js';
import { Health } from '../core/health.js';
import { Service } from '../core/service.js';
import { type Provider, supplied } from '../di/provider.js';
import type { Requirement } from '../di/requirement.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import { UsageError } from '../errors/usage-error.js';
import { importOptionalPeer } from '../internal/optional-peer.js';
import { clientErrorHandler } from './client-error.js';
import { ConnectionDrain } from './connection-drain.js';
import { registerDocsRoutes } from './docs-routes.js';
import { edgeServerFactory } from './edge-server.js';
import { type FailureReply, failureReply, notFoundReply } from './failure-reply.js';
import { HTTP_DEFAULTS, HttpConfig, type HttpSettings, settingsFromConfig } from './http-config.js';
import { HttpRequest } from './http-request.js';
import { HTTP_METHODS, registerMethodNotAllowed } from './method-not-allowed.js';
import { nulRefusingJsonParser } from './nul-text.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';
import { registerOperationalRoutes } from './operational-routes.js';
import { requestIdGenerator, SAFE_REQUEST_ID } from './request-id.js';
import type { ScopeOpener } from './request-state.js';
import { responseSerializers } from './response-serializers.js';
import type { Route } from './route.js';
import { compileRoute } from './route-compiler.js';

/** Options of an {@link HttpService}: routes, any HTTP setting (wins over config), and more. */
export interface HttpServiceOptions extends Partial<HttpSettings> {
  readonly routes?: readonly Route[];
  /** Largest accepted body in bytes. Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Check returned data against the route's response schema. Default: unless NODE_ENV=production. */
  readonly validateResponses?: boolean;
  /** `info.version` of the OpenAPI document. Default `1.0.0`. */
  readonly docsVersion?: string;
  /** One log line per request at `info`. Default true. */
  readonly accessLog?: boolean;
  /** Liveness path. Default `/health`. */
  readonly healthPath?: string;
  /** Readiness path. Default `/ready`. */
  readonly readyPath?: string;
}

const OPTION_KEYS = new Set([
  ...Object.keys(HTTP_DEFAULTS),
  'routes',
  'bodyLimit',
  'validateResponses',
  'docsVersion',
  'accessLog',
  'healthPath',
  'readyPath',
]);

/**
 * An HTTP API served by Fastify: typed routes with request-scoped DI, the JSON envelope,
 * DDD error mapping, OpenAPI 3.1 with Swagger UI and Redoc, request ids, access log,
 * `/health` and `/ready`. Settings: constructor > `HttpConfig` from DI (`api:`) > defaults.
 * It owns the Fastify instance: built and listening in `start()`, closed in `stop()`.
 *
 * @example
 * new Application(new ConfigService({ sections: [HttpConfig] }), new HttpService({ routes })).run();
 */
export class HttpService extends Service {
  readonly #routes: readonly Route[];
  readonly #options: HttpServiceOptions;
  #fastify: FastifyInstance | undefined;
  #drain: ConnectionDrain | undefined;
  #settings: HttpSettings | undefined;
  #document: OpenApiDocument | undefined;

  constructor(options: HttpServiceOptions = {}) {
    super('HttpService');
    rejectUnknownKeys('HttpService', options, OPTION_KEYS);
    for (const [i, r] of (options.routes ?? []).entries()) {
      if (typeof r?.handler !== 'function' || !HTTP_METHODS.includes(r.method)) {
        invalidOption('HttpService', `routes[${i}]`, 'is not a route (use route.get(...) etc.)');
      }
    }
    this.#routes = options.routes ?? [];
    this.#options = options;
  }

  override providers(): readonly Provider[] {
    return [supplied(HttpRequest)];
  }

  /** Every route's `inject` tokens, so the start fails on a missing provider, naming the route. */
  override requires(): readonly Requirement[] {
    return this.#routes.flatMap((r) =>
      Object.entries(r.options.inject ?? {}).map(([name, token]) => ({
        token,
        path: [`${r.method} ${r.path}`, `inject.${name}`],
      })),
    );
  }

  /** The settings in effect (after start); a `UsageError` `HTTP_SERVICE_NOT_STARTED` before. */
  get settings(): HttpSettings {
    if (this.#settings === undefined) {
      throw new UsageError('HttpService is not started: its settings are known from start()', {
        code: 'HTTP_SERVICE_NOT_STARTED',
      });
    }
    return this.#settings;
  }

  /**
   * The base URL the server listens on, e.g. `http://127.0.0.1:41234`; a `UsageError`
   * `HTTP_SERVICE_NOT_LISTENING` before start or after stop.
   */
  get url(): string {
    const address = this.#fastify?.server.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new UsageError('HttpService is not listening', { code: 'HTTP_SERVICE_NOT_LISTENING' });
    }
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`;
  }

  /** The OpenAPI document of the routes, with the settings in effect (or, before start, the constructor's). */
  get openapi(): OpenApiDocument {
    this.#document ??= this.documentWith(undefined);
    return this.#document;
  }

  /**
   * The OpenAPI document as it would be with `config` as the DI-provided `api:` section —
   * for generating it without starting a server (`libretto openapi`).
   */
  documentWith(config: z.output<typeof HttpConfig.schema> | undefined): OpenApiDocument {
    const settings =
      this.#settings ??
      resolveSettings(
        HTTP_DEFAULTS,
        config === undefined ? undefined : settingsFromConfig(config),
        this.#explicitSettings(),
      );
    return buildOpenApi(this.#routes, settings, this.#options.docsVersion);
  }

  #explicitSettings(): Partial<HttpSettings> {
    const settings: Record<string, unknown> = {};
    for (const key of Object.keys(HTTP_DEFAULTS)) {
      const value = (this.#options as Record<string, unknown>)[key];
      if (value !== undefined) settings[key] = value;
    }
    return settings as Partial<HttpSettings>;
  }

  override async start(): Promise<void> {
    const provided = await this.getOptionalDependency(HttpConfig);
    const settings = resolveSettings(
      HTTP_DEFAULTS,
      provided === undefined ? undefined : settingsFromConfig(provided),
      this.#explicitSettings(),
    );
    checkTimeouts(settings);
    this.#settings = settings;
    // A document read before start lacked the DI-provided settings.
    this.#document = undefined;
    const app = await this.#createFastify(settings);
    this.#fastify = app;
    // Route handlers and the error and not-found handlers set X-Request-Id themselves, so
    // the API's routes run without any hook; the built-in routes get it from a hook of
    // their own encapsulated context.
    const compiler = {
      validateResponses: this.#options.validateResponses ?? process.env.NODE_ENV !== 'production',
      opener: this.#scopeOpener(),
    };
    for (const r of this.#routes) {
      const response = responseSerializers(r);
      app.route({
        method: r.method,
        url: r.path,
        handler: compileRoute(r, compiler),
        ...(response === undefined ? {} : { schema: { response } }),
      });
    }
    registerMethodNotAllowed(app, this.#routes);
    const staticRoot = settings.staticFilesRoot;
    const fastifyStatic =
      staticRoot === undefined
        ? undefined
        : (
            await importOptionalPeer(
              '@fastify/static',
              'Serving api.static_files_root',
              () => import('@fastify/static'),
            )
          ).default;
    await app.register(async (builtIn) => {
      builtIn.addHook('onRequest', (request, reply, done) => {
        reply.header('x-request-id', request.id);
        done();
      });
      registerOperationalRoutes(builtIn, {
        healthPath: this.#options.healthPath,
        readyPath: this.#options.readyPath,
        health: () => this.getOptionalDependency(Health),
      });
      registerDocsRoutes(builtIn, settings, () => this.openapi, this.logger);
      if (fastifyStatic !== undefined && staticRoot !== undefined) {
        await builtIn.register(fastifyStatic, {
          root: staticRoot,
          prefix: settings.staticEndpointPrefix,
        });
      }
    });
    await app.listen({ host: settings.address, port: settings.port });
    this.logger.info({ url: this.url }, 'listening');
  }

  /**
   * Fastify with request ids, the envelope for every failure, JSON bodies only, the access
   * log, the client timeouts and a server that drains at stop.
   */
  async #createFastify(settings: HttpSettings): Promise<FastifyInstance> {
    const { default: Fastify } = await importOptionalPeer(
      'fastify',
      'HttpService',
      () => import('fastify'),
    );
    const nextRequestId = requestIdGenerator();
    const sendFailure: FailureReply = failureReply(this.logger);
    const drain = new ConnectionDrain();
    this.#drain = drain;
    const requestTimeout = settings.requestTimeout * 1000;
    const headersTimeout = settings.headersTimeout * 1000;
    const app = Fastify({
      logger: false,
      requestTimeout,
      keepAliveTimeout: settings.keepAliveTimeout * 1000,
      http: {
        requestTimeout,
        headersTimeout,
        // Node checks both timeouts on this interval (default 30 s, which would let a 10 s
        // headers timeout run to 40 s).
        connectionsCheckingInterval: Math.min(1000, headersTimeout),
        ServerResponse: drain.Response,
      },
      bodyLimit: this.#options.bodyLimit ?? 1024 * 1024,
      requestIdHeader: false,
      genReqId: (req) => {
        const incoming = req.headers['x-request-id'];
        return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)
          ? incoming
          : nextRequestId();
      },
      // Requests that arrive on open connections while stopping are still served (the
      // database is still there), with `Connection: close`; new connections are refused.
      return503OnClosing: false,
      // Malformed URLs and over-long parameters get the envelope too, not Fastify's format;
      // so do what Node's parser refuses, and what Node would answer itself.
      frameworkErrors: sendFailure,
      clientErrorHandler: clientErrorHandler(this.logger, nextRequestId),
      serverFactory: edgeServerFactory({ log: this.logger, nextRequestId }),
    });
    // JSON only: any other media type is a 415, not a string handed to a JSON schema.
    app.removeContentTypeParser('text/plain');
    // A NUL in a JSON body is invalid input, whatever the route: see nulRefusingJsonParser.
    const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig;
    const json = app.getDefaultJsonParser(
      onProtoPoisoning ?? 'error',
      onConstructorPoisoning ?? 'error',
    );
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      nulRefusingJsonParser(json),
    );
    app.setErrorHandler(sendFailure);
    app.setNotFoundHandler(notFoundReply(this.logger));
    if (this.#options.accessLog !== false && this.logger.isLevelEnabled('info')) {
      const log = this.logger;
      app.addHook('onResponse', (request, reply, done) => {
        log.info(
          {
            reqId: request.id,
            method: request.method,
            url: request.url,
            status: reply.statusCode,
            ms: Math.round(reply.elapsedTime * 10) / 10,
          },
          'request',
        );
        done();
      });
    }
    return app;
  }

  /**
   * Refuses new connections, closes idle keep-alive ones, answers with `Connection: close`
   * from now on, and lets requests in flight finish for `shutdownTimeout` seconds; then
   * destroys their connections, so the stop always ends.
   */
  override async stop(): Promise<void> {
    const app = this.#fastify;
    const drain = this.#drain;
    if (app === undefined || drain === undefined) return;
    drain.begin();
    const settings = this.settings;
    const cancel = drain.closeAfter(app.server, settings.shutdownTimeout * 1000, this.logger);
    // A connection whose response went out with keep-alive just before the stop turns idle
    // only later: close such connections as they appear instead of at the bound.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    try {
      await app.close();
    } finally {
      clearInterval(sweep);
      cancel();
    }
  }

  #opener: ScopeOpener | undefined;
  #scopeOpener(): ScopeOpener {
    this.#opener ??= {
      createScope: (...supplies) => this.createScope(...supplies),
      log: this.logger,
    };
    return this.#opener;
  }
}

/** Node refuses a headers timeout over the request timeout; say so in the settings' terms. */
function checkTimeouts(settings: HttpSettings): void {
  for (const key of [
    'requestTimeout',
    'headersTimeout',
    'keepAliveTimeout',
    'shutdownTimeout',
  ] as const) {
    const value = settings[key];
    if (
      !(
        typeof value === 'number' &&
        Number.isFinite(value) &&
        value > 0 &&
        value * 1000 <= 2_147_483_647
      )
    ) {
      invalidOption('HttpService', key, 'must be a positive number of seconds');
    }
  }
  if (settings.headersTimeout > settings.requestTimeout) {
    invalidOption(
      'HttpService',
      'headersTimeout',
      `(${settings.headersTimeout} s) must not exceed requestTimeout (${settings.requestTimeout} s)`,
    );
  }
}
