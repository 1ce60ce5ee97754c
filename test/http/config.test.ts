import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, ConfigService, provide, UsageError } from 'libretto';
import { HttpConfig, HttpService, type HttpServiceOptions, route } from 'libretto/http';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttp } from './http-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'libretto-http-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const routes = [route.get('/ping', {}, () => 'pong')];

describe('HTTP configuration precedence', () => {
  it('defaults apply without any configuration', async () => {
    const s = await startHttp(routes);
    expect(s.http.settings).toMatchObject({
      docsTitle: 'API',
      docsDefaultType: 'swagger',
      staticEndpointPrefix: '/static/',
    });
    await s.stop();
  });

  it('the YAML api: section (through ConfigService) overrides defaults', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(
      path,
      [
        'api:',
        '  docs_title: From YAML',
        '  docs_default_type: redoc',
        '  static_endpoint_prefix: /assets/',
        '',
      ].join('\n'),
    );
    const s = await startHttp(routes, {
      services: [
        new ConfigService({
          sections: [HttpConfig],
          path,
          argv: [],
          env: { LIBRETTO_API__DOCS_SERVERS: 'http://a,http://b' },
        }),
      ],
    });
    expect(s.http.settings).toMatchObject({
      docsTitle: 'From YAML',
      docsDefaultType: 'redoc',
      staticEndpointPrefix: '/assets/',
      docsServers: ['http://a', 'http://b'],
    });
    expect((await s.fetch('/assets/openapi/openapi.json')).status).toBe(200);
    expect((await s.fetch('/docs')).headers.get('location')).toBe('/docs/redoc');
    await s.stop();
  });

  it('any DI provider of HttpConfig works, and constructor values win over it', async () => {
    const s = await startHttp(routes, {
      app: {
        providers: [
          provide(HttpConfig, { value: { docs_title: 'From DI', docs_swagger_path: '/ui' } }),
        ],
      },
      http: { docsTitle: 'From constructor' },
    });
    expect(s.http.settings).toMatchObject({
      docsTitle: 'From constructor',
      docsSwaggerPath: '/ui',
    });
    expect((await s.fetch('/ui')).status).toBe(200);
    expect((await s.fetch('/docs')).headers.get('location')).toBe('/ui');
    await s.stop();
  });

  it('a document read before start is rebuilt with the DI settings at start', async () => {
    const http = new HttpService({ address: '127.0.0.1', port: 0, routes });
    expect(http.openapi.info.title).toBe('API');
    const app = new Application(http, {
      providers: [provide(HttpConfig, { value: { docs_title: 'From DI' } })],
      logger: { level: 'silent' },
    });
    await app.start();
    const served = (await (await fetch(`${http.url}/static/openapi/openapi.json`)).json()) as {
      info: { title: string };
    };
    expect(served.info.title).toBe('From DI');
    await app.stop();
  });

  it('an invalid api: value fails the start with its path', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'api:\n  port: 99999\n  docs_titel: x\n');
    const app = startHttp(routes, {
      services: [new ConfigService({ sections: [HttpConfig], path, argv: [], env: {} })],
    });
    await expect(app).rejects.toThrow(/api\.port .*:2\).*\n.*api\.docs_titel .*:3\): unknown key/);
  });

  it('rejects unknown constructor options and non-routes', () => {
    expect(() => new HttpService({ prot: 1 } as HttpServiceOptions)).toThrow(UsageError);
    expect(() => new HttpService({ routes: [{}] } as unknown as HttpServiceOptions)).toThrow(
      'HttpService: routes[0] is not a route (use route.get(...) etc.)',
    );
  });
});

describe('docs pages', () => {
  it.each([
    ['swagger', '/docs/swagger'],
    ['redoc', '/docs/redoc'],
  ] as const)('/docs redirects to %s', async (type, location) => {
    const s = await startHttp(routes, { http: { docsDefaultType: type } });
    const response = await s.fetch('/docs');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(location);
    await s.stop();
  });

  it('no redirect when docs_default_type is null', async () => {
    const s = await startHttp(routes, { http: { docsDefaultType: null } });
    expect((await s.fetch('/docs')).status).toBe(404);
    expect((await s.fetch('/docs/swagger')).status).toBe(200);
    await s.stop();
  });

  it('serves both pages and their assets from installed packages, no CDN', async () => {
    const s = await startHttp(routes, { http: { docsTitle: 'Pets <API>' } });
    const swagger = await (await s.fetch('/docs/swagger')).text();
    const redoc = await (await s.fetch('/docs/redoc')).text();
    expect(swagger).toContain('<title>Pets &#60;API&#62;</title>');
    for (const html of [swagger, redoc]) {
      expect(html).not.toMatch(/https?:\/\//);
      expect(html).toContain('/static/openapi/openapi.json');
    }
    for (const asset of [
      '/docs/swagger/swagger-ui-bundle.js',
      '/docs/swagger/swagger-ui.css',
      '/docs/redoc/redoc.standalone.js',
    ]) {
      const response = await s.fetch(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
    await s.stop();
  });
});
