import type { FastifyInstance } from 'fastify';
import { stringify as toYaml } from 'yaml';
import type { Logger } from '../core/logger.js';
import { peerMissingMessage } from '../internal/optional-peer.js';
import {
  DOCS_CONTENT_SECURITY_POLICY,
  type PackageAsset,
  packageAsset,
  redocPage,
  swaggerPage,
} from './docs-pages.js';
import type { HttpSettings } from './http-config.js';
import type { OpenApiDocument } from './openapi.js';

interface DocsPage {
  readonly type: 'swagger' | 'redoc';
  readonly package: string;
  readonly path: string;
  readonly html: string;
  readonly assets: Readonly<Record<string, PackageAsset | undefined>>;
}

function docsPages(s: HttpSettings, jsonUrl: string): readonly DocsPage[] {
  return [
    {
      type: 'swagger',
      package: 'swagger-ui-dist',
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
      package: 'redoc',
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
}

/**
 * Registers the documentation routes: the OpenAPI document as JSON and YAML under the
 * static prefix (`/static/openapi/openapi.json`, rendered on first request), Swagger UI and
 * Redoc with their assets from the installed packages (a page whose package is missing is
 * skipped with a warning), and the redirect of `docsDefaultPath` to the default page.
 */
export function registerDocsRoutes(
  app: FastifyInstance,
  settings: HttpSettings,
  document: () => OpenApiDocument,
  log: Logger,
): void {
  const s = settings;
  const prefix = s.staticEndpointPrefix.endsWith('/')
    ? s.staticEndpointPrefix
    : `${s.staticEndpointPrefix}/`;
  const yamlUrl = `${prefix}openapi/openapi.yaml`;
  const jsonUrl = `${prefix}openapi/openapi.json`;
  let yamlText: string | undefined;
  let jsonText: string | undefined;
  app.get(jsonUrl, async (_request, reply) => {
    jsonText ??= JSON.stringify(document());
    return reply.type('application/json; charset=utf-8').send(jsonText);
  });
  app.get(yamlUrl, async (_request, reply) => {
    yamlText ??= toYaml(document());
    return reply.type('application/yaml; charset=utf-8').send(yamlText);
  });

  const pages = docsPages(s, jsonUrl);
  const available = new Set<string>();
  for (const page of pages) {
    if (Object.values(page.assets).some((a) => a === undefined)) {
      log.warn({ page: page.path }, peerMissingMessage(page.package, `The docs page ${page.path}`));
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
