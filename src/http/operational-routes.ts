import type { FastifyInstance } from 'fastify';
import type { Health } from '../core/health.js';
import { errorEnvelope, successEnvelope } from './envelope.js';

/** Where the operational routes are served, and how to reach the application's health. */
export interface OperationalRoutesOptions {
  /** Liveness. Default `/health`. */
  readonly healthPath?: string | undefined;
  /** Readiness. Default `/ready`. */
  readonly readyPath?: string | undefined;
  /** The application's `Health`, if it provides one (else ready means "serving"). */
  readonly health: () => Promise<Health | undefined>;
}

/**
 * Registers liveness (`/health`: 200 while the process serves) and readiness (`/ready`: 200
 * when `Health` reports the application running and every check passing, else `503
 * SERVICE_UNAVAILABLE` with each check in `details`).
 */
export function registerOperationalRoutes(
  app: FastifyInstance,
  options: OperationalRoutesOptions,
): void {
  app.get(options.healthPath ?? '/health', async () => successEnvelope({ status: 'ok' }));
  app.get(options.readyPath ?? '/ready', async (_request, reply) => {
    const health = await options.health();
    const report = health === undefined ? { healthy: true, checks: [] } : await health.report();
    if (report.healthy) return successEnvelope({ status: 'ready', checks: report.checks });
    // Spread: a check result is an interface, not the index-signature record a detail is.
    const details = report.checks.map((check) => ({ ...check }));
    return reply.code(503).send(errorEnvelope('SERVICE_UNAVAILABLE', 'Not ready', details));
  });
}
