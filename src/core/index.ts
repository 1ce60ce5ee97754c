export {
  Application,
  type ApplicationOptions,
  type ApplicationState,
  type RunOptions,
} from './application.js';
export { Health, type HealthCheckResult, type HealthReport } from './health.js';
export { ShutdownError, StartupError } from './lifecycle-errors.js';
export {
  createLogger,
  LOG_LEVELS,
  type LogFormat,
  Logger,
  type LoggerOptions,
} from './logger.js';
export { type PeriodicOptions, PeriodicService } from './periodic-service.js';
export { Service, type ServiceContext } from './service.js';
export { describeStartupFailure, type StartupFailure } from './startup-failure.js';
