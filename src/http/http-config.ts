import * as z from 'zod';
import { configSection } from '../config/config-section.js';
import type { SettingsLayer } from '../config/settings.js';

const docsType = z.enum(['swagger', 'redoc']).nullable();

/**
 * The `api:` configuration section, also the DI token of HTTP settings: list it
 * in `ConfigService({ sections: [HttpConfig] })` to read YAML/env, or provide it yourself
 * (`provide(HttpConfig, { value: { port: 8080 } })`). Constructor options win over it.
 */
export const HttpConfig = configSection(
  'api',
  z
    .strictObject({
      address: z.string().optional(),
      port: z.number().int().min(0).max(65535).optional(),
      static_endpoint_prefix: z.string().optional(),
      static_files_root: z.string().optional(),
      docs_default_path: z.string().optional(),
      docs_swagger_path: z.string().optional(),
      docs_redoc_path: z.string().optional(),
      docs_title: z.string().optional(),
      docs_servers: z.array(z.string()).optional(),
      docs_default_type: docsType.optional(),
      docs_remove_path_prefix: z.string().optional(),
      docs_tag_descriptions: z.record(z.string(), z.string()).optional(),
      docs_tag_groups: z.record(z.string(), z.array(z.string())).optional(),
    })
    .default({}),
);

/** The HTTP settings in effect, after precedence (constructor > DI > defaults). */
export interface HttpSettings {
  readonly address: string;
  /** 0 picks a free port (see `HttpService.url`). */
  readonly port: number;
  readonly staticEndpointPrefix: string;
  /** A directory served under the static prefix; none by default. */
  readonly staticFilesRoot: string | undefined;
  readonly docsDefaultPath: string;
  readonly docsSwaggerPath: string;
  readonly docsRedocPath: string;
  readonly docsTitle: string;
  readonly docsServers: readonly string[];
  /** Where `docsDefaultPath` redirects; `null` for no redirect. */
  readonly docsDefaultType: 'swagger' | 'redoc' | null;
  /** Removed from the start of every path in the OpenAPI document (e.g. `/v1`). */
  readonly docsRemovePathPrefix: string | undefined;
  readonly docsTagDescriptions: Readonly<Record<string, string>>;
  /** Rendered as `x-tagGroups`. */
  readonly docsTagGroups: Readonly<Record<string, readonly string[]>>;
}

export const HTTP_DEFAULTS: HttpSettings = {
  address: '0.0.0.0',
  port: 8080,
  staticEndpointPrefix: '/static/',
  staticFilesRoot: undefined,
  docsDefaultPath: '/docs',
  docsSwaggerPath: '/docs/swagger',
  docsRedocPath: '/docs/redoc',
  docsTitle: 'API',
  docsServers: [],
  docsDefaultType: 'swagger',
  docsRemovePathPrefix: undefined,
  docsTagDescriptions: {},
  docsTagGroups: {},
};

/** The `api:` section's snake_case keys as settings. */
export function settingsFromConfig(
  config: z.output<typeof HttpConfig.schema>,
): SettingsLayer<HttpSettings> {
  return {
    address: config.address,
    port: config.port,
    staticEndpointPrefix: config.static_endpoint_prefix,
    staticFilesRoot: config.static_files_root,
    docsDefaultPath: config.docs_default_path,
    docsSwaggerPath: config.docs_swagger_path,
    docsRedocPath: config.docs_redoc_path,
    docsTitle: config.docs_title,
    docsServers: config.docs_servers,
    docsDefaultType: config.docs_default_type,
    docsRemovePathPrefix: config.docs_remove_path_prefix,
    docsTagDescriptions: config.docs_tag_descriptions,
    docsTagGroups: config.docs_tag_groups,
  };
}
