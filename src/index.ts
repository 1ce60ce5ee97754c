/**
 * Libretto: application lifecycle, services, one typed DI container, configuration,
 * errors and logging. HTTP (`libretto/http`), PostgreSQL (`libretto/postgres`, its HA pool in
 * `libretto/postgres/ha`), models and repositories (`libretto/data`) and test servers
 * (`libretto/testing`) live under their own subpaths.
 */
export * from './config/index.js';
export * from './core/index.js';
export * from './di/index.js';
export * from './errors/index.js';
