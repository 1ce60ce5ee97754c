import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify as toYaml } from 'yaml';
import type * as z from 'zod';
import { resolveSettings } from '../config/settings.js';
import { Health } from '../core/health.js';
import { Service } from '../core/service.js';
import { type Provider, supplied } from '../di/provider.js';
import type { InjectionToken } from '../di/token.js';
import { InvalidOperationError } from '../errors/application-errors.js';
import { invalidOption, rejectUnknownKeys } from '../errors/invalid-option.js';
import {
  DOCS_CONTENT_SECURITY_POLICY,
  packageAsset,
  redocPage,
  swaggerPage,
} from './docs-pages.js';
import { toHttpFailure } from './error-mapping.js';
import { HandlerContext, type ScopeOpener } from './handler-context.js';
import { HTTP_DEFAULTS, HttpConfig, type HttpSettings, settingsFromConfig } from './http-config.js';
import { HttpError, type InputIssue, type InputLocation, invalidInput } from './http-error.js';
import { HttpRequest } from './http-request.js';
import { compileInputCoercion } from './input-coercion.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';
import { requestIdGenerator, SAFE_REQUEST_ID } from './request-id.js';
import { Outcome, RawResponse } from './response.js';
import type { HttpMethod, Route } from './route.js';

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
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

type Parse = (value: unknown) => unknown;

function inputParser(location: InputLocation, schema: z.ZodType | undefined): Parse | undefined {
  if (schema === undefined) return undefined;
  const coerce =
    location === 'body' ? undefined : compileInputCoercion(schema, location === 'headers');
  return (value) => {
    const result = schema.safeParse(coerce === undefined ? value : coerce(value));
    if (result.success) return result.data;
    const issues: InputIssue[] = [];
    for (const issue of result.error.issues) {
      const base = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          issues.push({ location, path: [...base, key].join('.'), message: 'unknown key' });
      } else {
        issues.push({ location, path: base.join('.'), message: issue.message });
      }
    }
    throw invalidInput(location, issues);
  };
}

/**
 * Sets each injected dependency on the context; returns a promise only when some are
 * created asynchronously.
 */
function inject(
  context: HandlerContext,
  names: readonly string[],
  tokens: readonly InjectionToken<unknown>[],
): Promise<void> | undefined {
  const scope = context.scope;
  const target = context as unknown as Record<string, unknown>;
  let pending: Promise<void>[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const name = names[i] as string;
    const value = scope.getNow(tokens[i] as InjectionToken<unknown>);
    if (value instanceof Promise) {
      pending ??= [];
      pending.push(
        value.then((resolved) => {
          target[name] = resolved;
        }),
      );
    } else {
      target[name] = value;
    }
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function envelope(data: unknown): unknown {
  return { success: true, data: data === undefined ? null : data, error: null };
}

/**
 * An HTTP API served by Fastify: typed routes with request-scoped DI, the JSON envelope,
 * DDD error mapping, OpenAPI 3.1 with Swagger UI and Redoc, request ids, access log,
 * `/health` and `/ready`. Settings: constructor > `HttpConfig` from DI (`api:`) > defaults.
 *
 * @example
 * new Application(new ConfigService({ sections: [HttpConfig] }), new HttpService({ routes })).run();
 */
export class HttpService extends Service {
  readonly #routes: readonly Route[];
  readonly #options: HttpServiceOptions;
  #fastify: FastifyInstance | undefined;
  #settings: HttpSettings | undefined;
  #document: OpenApiDocument | undefined;

  constructor(options: HttpServiceOptions = {}) {
    super('HttpService');
    rejectUnknownKeys('HttpService', options, OPTION_KEYS);
    for (const [i, r] of (options.routes ?? []).entries()) {
      if (typeof r?.handler !== 'function' || !METHODS.includes(r.method)) {
        invalidOption('HttpService', `routes[${i}]`, 'is not a route (use route.get(...) etc.)');
      }
    }
    this.#routes = options.routes ?? [];
    this.#options = options;
  }

  override providers(): readonly Provider[] {
    return [supplied(HttpRequest)];
  }

  /** The settings in effect (after start). */
  get settings(): HttpSettings {
    if (this.#settings === undefined) throw new InvalidOperationError('HttpService is not started');
    return this.#settings;
  }

  /** The base URL the server listens on, e.g. `http://127.0.0.1:41234` (after start). */
  get url(): string {
    const address = this.#fastify?.server.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new InvalidOperationError('HttpService is not listening');
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
    this.#settings = resolveSettings(
      HTTP_DEFAULTS,
      provided === undefined ? undefined : settingsFromConfig(provided),
      this.#explicitSettings(),
    );
    // A document read before start lacked the DI-provided settings.
    this.#document = undefined;
    const { default: Fastify } = await import('fastify');
    const nextRequestId = requestIdGenerator();
    const app = Fastify({
      logger: false,
      bodyLimit: this.#options.bodyLimit ?? 1024 * 1024,
      requestIdHeader: false,
      genReqId: (req) => {
        const incoming = req.headers['x-request-id'];
        return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)
          ? incoming
          : nextRequestId();
      },
      return503OnClosing: true,
      // Malformed URLs and over-long parameters get the envelope too, not Fastify's format.
      frameworkErrors: (error, request, reply) => this.#sendFailure(error, request, reply),
    });
    this.#fastify = app;
    // JSON only: any other media type is a 415, not a string handed to a JSON schema.
    app.removeContentTypeParser('text/plain');
    this.#installErrorHandling(app);
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
    // Route handlers and the error and not-found handlers set X-Request-Id themselves, so
    // the API's routes run without any hook; the built-in routes get it from a hook of
    // their own encapsulated context.
    this.#registerRoutes(app);
    const settings = this.#settings;
    const staticRoot = settings.staticFilesRoot;
    const fastifyStatic =
      staticRoot === undefined ? undefined : (await import('@fastify/static')).default;
    await app.register(async (builtIn) => {
      builtIn.addHook('onRequest', (request, reply, done) => {
        reply.header('x-request-id', request.id);
        done();
      });
      this.#registerOperations(builtIn);
      this.#registerDocs(builtIn);
      if (fastifyStatic !== undefined && staticRoot !== undefined) {
        await builtIn.register(fastifyStatic, {
          root: staticRoot,
          prefix: settings.staticEndpointPrefix,
        });
      }
    });
    await app.listen({ host: this.#settings.address, port: this.#settings.port });
    this.logger.info({ url: this.url }, 'listening');
  }

  /** Refuses new connections and lets requests in flight finish (bounded by the app). */
  override async stop(): Promise<void> {
    const app = this.#fastify;
    if (app === undefined) return;
    // A keep-alive connection whose request finishes while closing turns idle only then:
    // close such connections as they appear instead of waiting for their timeout.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
    try {
      await app.close();
    } finally {
      clearInterval(sweep);
    }
  }

  #sendFailure(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const failure = toHttpFailure(error);
    if (failure.internal) {
      this.logger.error(
        { err: error, reqId: request.id, method: request.method, url: request.url },
        'request failed',
      );
    }
    void reply
      .code(failure.status)
      .header('x-request-id', request.id)
      .headers(failure.headers)
      .send({
        success: false,
        data: null,
        error: { message: failure.message, code: failure.code, details: failure.details },
      });
  }

  #installErrorHandling(app: FastifyInstance): void {
    app.setErrorHandler((error, request, reply) => this.#sendFailure(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      void reply
        .code(404)
        .header('x-request-id', request.id)
        .send({
          success: false,
          data: null,
          error: {
            message: `No route for ${request.method} ${path}`,
            code: 'ROUTE_NOT_FOUND',
            details: [{ method: request.method, path }],
          },
        });
    });
  }

  #registerRoutes(app: FastifyInstance): void {
    const methodsByPath = new Map<string, Set<string>>();
    for (const r of this.#routes) {
      const methods = methodsByPath.get(r.path) ?? new Set();
      methods.add(r.method);
      methodsByPath.set(r.path, methods);
      app.route({ method: r.method, url: r.path, handler: this.#compile(r) });
    }
    // Known path, wrong method: 405 with Allow, decided at start instead of per request.
    for (const [path, methods] of methodsByPath) {
      const allowed = [...methods];
      if (methods.has('GET')) allowed.push('HEAD');
      const others = [...METHODS, 'HEAD'].filter((m) => !allowed.includes(m));
      if (others.length === 0) continue;
      const allow = allowed.join(', ');
      app.route({
        method: others as HttpMethod[],
        url: path,
        handler: async (request) => {
          throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, {
            headers: { allow },
            details: [{ method: request.method, allowed }],
          });
        },
      });
    }
  }

  /** Everything a route does per request, prepared once. */
  #compile(r: Route): (request: FastifyRequest, reply: FastifyReply) => unknown {
    const o = r.options;
    const parseParams = inputParser('path', o.params);
    const parseQuery = inputParser('query', o.query);
    const parseBody = inputParser('body', o.body);
    const parseHeaders = inputParser('headers', o.headers);
    const injections = Object.entries(o.inject ?? {});
    const names = injections.map(([name]) => name);
    const tokens = injections.map(([, t]) => t);
    const validate =
      o.response !== undefined &&
      (this.#options.validateResponses ?? process.env.NODE_ENV !== 'production')
        ? o.response
        : undefined;
    const status = o.status ?? 200;
    const handler = r.handler as (context: HandlerContext) => unknown;
    const opener = this.#scopeOpener();
    const where = `${r.method} ${r.path}`;

    /** The reply for what the handler returned (the envelope unless it answered itself). */
    const respond = (reply: FastifyReply, result: unknown): unknown => {
      if (result === reply) return reply;
      if (result instanceof RawResponse) {
        return reply.code(result.status).headers(result.headers).send(result.body);
      }
      const outcome = result instanceof Outcome ? result : undefined;
      const data = outcome === undefined ? result : outcome.data;
      const code = outcome?.status ?? status;
      if (outcome !== undefined) reply.headers(outcome.headers);
      if (code === 204) return reply.code(204).send();
      if (validate !== undefined) {
        const checked = validate.safeParse(data);
        if (!checked.success) {
          throw new Error(
            `${where}: the handler's result does not match the response schema: ${checked.error.message}`,
          );
        }
      }
      reply.code(code);
      return envelope(data);
    };

    /**
     * Sends the envelope itself, so that the request scope can close right after; returns
     * the reply for Fastify to wait on when the response is still going (a stream).
     */
    const finish = (context: HandlerContext, result: unknown): FastifyReply | undefined => {
      const reply = context.reply;
      const payload = respond(reply, result);
      if (payload !== reply) reply.send(payload);
      context.settle();
      return reply.sent ? undefined : reply;
    };

    /** The path for asynchronous dependencies or handlers. */
    const finishLater = async (
      context: HandlerContext,
      injected: Promise<void> | undefined,
      pending: PromiseLike<unknown> | undefined,
    ): Promise<unknown> => {
      try {
        if (injected !== undefined) await injected;
        return finish(context, await (pending ?? handler(context)));
      } catch (error) {
        context.failure = error;
        context.settle();
        throw error;
      }
    };

    // Synchronous until something is asynchronous: sparing the promises and microtask hops
    // of an async function per request.
    return function handle(request, reply) {
      reply.header('x-request-id', request.id);
      const context = new HandlerContext(request, reply, opener);
      try {
        context.params = parseParams === undefined ? request.params : parseParams(request.params);
        context.query = parseQuery === undefined ? request.query : parseQuery(request.query);
        context.body = parseBody === undefined ? request.body : parseBody(request.body);
        context.headers =
          parseHeaders === undefined ? request.headers : parseHeaders(request.headers);
        const injected = tokens.length === 0 ? undefined : inject(context, names, tokens);
        if (injected !== undefined) return finishLater(context, injected, undefined);
        const result = handler(context);
        if (result !== reply && isThenable(result)) return finishLater(context, undefined, result);
        return finish(context, result);
      } catch (error) {
        context.failure = error;
        context.settle();
        throw error;
      }
    };
  }

  #opener: ScopeOpener | undefined;
  #scopeOpener(): ScopeOpener {
    this.#opener ??= {
      createScope: (...supplies) => this.createScope(...supplies),
      log: this.logger,
    };
    return this.#opener;
  }

  #registerOperations(app: FastifyInstance): void {
    const healthPath = this.#options.healthPath ?? '/health';
    const readyPath = this.#options.readyPath ?? '/ready';
    app.get(healthPath, async () => envelope({ status: 'ok' }));
    app.get(readyPath, async (_request, reply) => {
      const monitor = await this.getOptionalDependency(Health);
      const report = monitor === undefined ? { healthy: true, checks: [] } : await monitor.report();
      if (report.healthy) return envelope({ status: 'ready', checks: report.checks });
      return reply.code(503).send({
        success: false,
        data: null,
        error: { message: 'Not ready', code: 'SERVICE_UNAVAILABLE', details: report.checks },
      });
    });
  }

  #registerDocs(app: FastifyInstance): void {
    const s = this.settings;
    const prefix = s.staticEndpointPrefix.endsWith('/')
      ? s.staticEndpointPrefix
      : `${s.staticEndpointPrefix}/`;
    const yamlUrl = `${prefix}openapi/openapi.yaml`;
    const jsonUrl = `${prefix}openapi/openapi.json`;
    let yamlText: string | undefined;
    let jsonText: string | undefined;
    app.get(jsonUrl, async (_request, reply) => {
      jsonText ??= JSON.stringify(this.openapi);
      return reply.type('application/json; charset=utf-8').send(jsonText);
    });
    app.get(yamlUrl, async (_request, reply) => {
      yamlText ??= toYaml(this.openapi);
      return reply.type('application/yaml; charset=utf-8').send(yamlText);
    });

    const pages: {
      type: 'swagger' | 'redoc';
      path: string;
      html: string;
      assets: Record<string, ReturnType<typeof packageAsset>>;
    }[] = [
      {
        type: 'swagger',
        path: s.docsSwaggerPath,
        html: swaggerPage(s.docsTitle, jsonUrl, s.docsSwaggerPath),
        assets: {
          'swagger-ui.css': packageAsset(
            'swagger-ui-dist',
            'swagger-ui.css',
            'text/css; charset=utf-8',
          ),
          'swagger-ui-bundle.js': packageAsset(
            'swagger-ui-dist',
            'swagger-ui-bundle.js',
            'text/javascript; charset=utf-8',
          ),
        },
      },
      {
        type: 'redoc',
        path: s.docsRedocPath,
        html: redocPage(s.docsTitle, jsonUrl, s.docsRedocPath),
        assets: {
          'redoc.standalone.js': packageAsset(
            'redoc',
            'bundles/redoc.standalone.js',
            'text/javascript; charset=utf-8',
          ),
        },
      },
    ];
    const available = new Set<string>();
    for (const page of pages) {
      if (Object.values(page.assets).some((a) => a === undefined)) {
        this.logger.warn(
          { page: page.path },
          `${page.type === 'swagger' ? 'swagger-ui-dist' : 'redoc'} is not installed: ${page.path} is not served`,
        );
        continue;
      }
      available.add(page.type);
      app.get(page.path, async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY)
          .send(page.html),
      );
      for (const [name, asset] of Object.entries(page.assets)) {
        if (asset === undefined) continue;
        app.get(`${page.path}/${name}`, async (_request, reply) =>
          reply
            .type(asset.contentType)
            .header('cache-control', 'public, max-age=86400')
            .send(await asset.read()),
        );
      }
    }
    const target =
      s.docsDefaultType === null ? undefined : pages.find((p) => p.type === s.docsDefaultType);
    if (target !== undefined && available.has(target.type) && s.docsDefaultPath !== target.path) {
      app.get(s.docsDefaultPath, async (_request, reply) => reply.redirect(target.path, 302));
    }
  }
}
