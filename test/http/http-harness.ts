import { Application, type ApplicationOptions, type Service } from 'libretto';
import { HttpService, type HttpServiceOptions, type Route } from 'libretto/http';
import { capturedLogger } from '../core/log-capture.js';

/** A real application with an HttpService on a free port, and its captured log. */
export async function startHttp(
  routes: readonly Route[],
  options: {
    http?: HttpServiceOptions;
    app?: Omit<ApplicationOptions, 'logger'>;
    services?: readonly Service[];
  } = {},
) {
  const capture = capturedLogger();
  const http = new HttpService({ address: '127.0.0.1', port: 0, routes, ...options.http });
  const app = new Application(...(options.services ?? []), http, {
    ...options.app,
    logger: capture.logger,
  });
  await app.start();
  const url = http.url;
  return {
    app,
    http,
    url,
    log: capture,
    fetch: (path: string, init?: RequestInit) =>
      fetch(`${url}${path}`, { redirect: 'manual', ...init }),
    json: async (path: string, init?: RequestInit) => {
      const response = await fetch(`${url}${path}`, init);
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as Envelope,
      };
    },
    stop: () => app.stop(),
  };
}

export interface Envelope {
  success: boolean;
  data: unknown;
  error: null | { message: string; code: string; details: unknown[] };
}

export const postJson = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
