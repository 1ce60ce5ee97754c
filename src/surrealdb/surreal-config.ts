import * as z from 'zod';
import { configSection } from '../config/config-section.js';

const ENDPOINT = /^(mem|surrealkv|rocksdb|ws|wss|http|https):\/\//;

/** The keys of the `surrealdb:` section; `url` and `username` are other names of `endpoint` and `user`. */
export const SURREAL_KEYS = {
  /** `mem://` (embedded, in memory), `surrealkv://path`, or a server: `ws://host:8000/rpc`, `http://…`. */
  endpoint: z
    .string()
    .regex(ENDPOINT, 'must start with mem://, surrealkv://, ws(s):// or http(s)://')
    .optional(),
  url: z
    .string()
    .regex(ENDPOINT, 'must start with mem://, surrealkv://, ws(s):// or http(s)://')
    .optional(),
  namespace: z.string().min(1).optional(),
  database: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
};

/**
 * The `surrealdb:` configuration section (YAML, or `LIBRETTO_SURREALDB__*` variables), the DI
 * token `SurrealService` reads. Every key is optional; an unknown one is a ConfigError.
 *
 * @example
 * new ConfigService({ sections: [SurrealConfig] });
 * // surrealdb:
 * //   endpoint: ws://db.internal:8000/rpc
 * //   namespace: app
 * //   database: app
 * //   user: root
 * //   password: secret
 */
export const SurrealConfig = configSection('surrealdb', z.strictObject(SURREAL_KEYS).default({}));

/** The `surrealdb:` section as read. */
export type SurrealSection = z.output<typeof SurrealConfig.schema>;
