/**
 * Libretto: application lifecycle, services, one typed DI container, configuration,
 * errors and logging. HTTP, PostgreSQL and messaging live under their own subpaths.
 */
export * from './config/index.js';
export * from './core/index.js';
export * from './di/index.js';
export * from './errors/index.js';
