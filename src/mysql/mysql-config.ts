import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import { ISOLATION_LEVELS } from '../postgres/postgres-config.js';

const seconds = () => z.number().positive().optional();

/** The keys of the `mysql:` section (snake_case, durations in seconds), as `postgres:` names them. */
export const MYSQL_KEYS = {
  /** `mysql://user:password@host:port/database` or `mariadb://…`. */
  dsn: z
    .string()
    .regex(/^(mysql|mariadb):\/\//, 'must start with mysql:// or mariadb://')
    .optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().min(1).optional(),
  min_size: z.number().int().min(0).optional(),
  max_size: z.number().int().min(1).optional(),
  acquire_timeout: seconds(),
  max_queries: z.number().int().min(1).optional(),
  max_inactive_connection_lifetime: seconds(),
  max_lifetime: seconds(),
  statement_timeout: seconds(),
  query_timeout: seconds(),
  pre_ping: z.boolean().optional(),
  prepare: z.boolean().optional(),
  log_statements: z.boolean().optional(),
  log_parameters: z.boolean().optional(),
  isolation_level: z.enum(ISOLATION_LEVELS).optional(),
};

/**
 * The `mysql:` configuration section (YAML, or `LIBRETTO_MYSQL__*` variables), also the DI
 * token `MysqlService` reads. Every key is optional; an unknown one is a ConfigError. The
 * section may be left out: the seed's `MYSQL_HOST`, `MYSQL_PORT`, `MYSQL_USER`,
 * `MYSQL_PASSWORD` and `MYSQL_DATABASE` variables, then the defaults, fill it.
 *
 * @example
 * new ConfigService({ sections: [MysqlConfig] });
 * // mysql:
 * //   dsn: mysql://app:secret@db.internal:3306/app
 * //   max_size: 20
 */
export const MysqlConfig = configSection('mysql', z.strictObject(MYSQL_KEYS).default({}));

/** The `mysql:` section as read. */
export type MysqlSection = z.output<typeof MysqlConfig.schema>;
