import * as z from 'zod';
import type { HttpSettings } from './http-config.js';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { type Route, statusesOf } from './route.js';

/** An OpenAPI 3.1 document (as plain JSON). */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string };
  readonly servers?: readonly { readonly url: string }[];
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  readonly 'x-tagGroups'?: readonly { readonly name: string; readonly tags: readonly string[] }[];
  /** Path → method → operation. */
  readonly paths: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>
  >;
  readonly components: {
    readonly schemas: Readonly<Record<string, unknown>>;
    readonly headers: Readonly<Record<string, unknown>>;
  };
}

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Malformed request: invalid JSON, path, query or headers',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Invalid body or failed validation',
  500: 'Unexpected error',
  502: 'A dependency failed',
  503: 'Service unavailable',
  504: 'A dependency timed out',
};

const ERROR_ENVELOPE: JsonSchema = {
  type: 'object',
  required: ['success', 'data', 'error'],
  properties: {
    success: { const: false },
    data: { type: 'null' },
    error: {
      type: 'object',
      required: ['message', 'code', 'details'],
      properties: {
        message: { type: 'string' },
        code: { type: 'string' },
        details: { type: 'array', items: { type: 'object' } },
        requestId: {
          type: 'string',
          description: 'On answers to errors the server logged: the request id, to quote',
        },
      },
    },
  },
};

/** Converts zod schemas to OpenAPI components, sharing named schemas (`.meta({ id })`). */
class SchemaConverter {
  readonly components: Record<string, JsonSchema> = { ErrorResponse: ERROR_ENVELOPE };

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = toJsonSchema(schema, io);
    const { $schema: _, $defs, ...root } = json;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      this.components[name] ??= rewriteRefs(def) as JsonSchema;
    }
    const id = z.globalRegistry.get(schema)?.id;
    const body = rewriteRefs(root) as JsonSchema;
    if (id === undefined) return body;
    this.components[id] ??= body;
    return { $ref: `#/components/schemas/${id}` };
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof v === 'string'
        ? v.replace('#/$defs/', '#/components/schemas/')
        : rewriteRefs(v);
  }
  return out;
}

function parameters(
  converter: SchemaConverter,
  schema: z.ZodType | undefined,
  location: 'path' | 'query' | 'header',
): JsonSchema[] {
  if (schema === undefined) return [];
  const json = converter.convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** Every answer carries the request id (the client's when it sent a safe one). */
const REQUEST_ID_HEADER = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };

const SUCCESS_DESCRIPTIONS: Readonly<Record<number, string>> = {
  200: 'Success',
  201: 'Created',
  202: 'Accepted',
  204: 'No content',
};

function errorResponse(status: number): JsonSchema {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'Error',
    headers: REQUEST_ID_HEADER,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
  };
}

/** The answer of one success status: the envelope of `data`, or nothing for 204. */
function successResponse(status: number, data: JsonSchema): JsonSchema {
  const description = SUCCESS_DESCRIPTIONS[status] ?? 'Success';
  // `created(data, location)` sets Location: documented wherever a route answers 201.
  const headers =
    status === 201
      ? {
          ...REQUEST_ID_HEADER,
          Location: { description: 'The created resource', schema: { type: 'string' } },
        }
      : REQUEST_ID_HEADER;
  if (status === 204) return { description, headers };
  return {
    description,
    headers,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['success', 'data', 'error'],
          properties: { success: { const: true }, data, error: { type: 'null' } },
        },
      },
    },
  };
}

/** The tag of operations without tags when tag groups are configured. */
const UNTAGGED = 'default';
/** The group that collects tags no configured group lists. */
const OTHER_GROUP = 'Other';

/**
 * Builds the OpenAPI 3.1 document of a set of routes: parameters and bodies from their
 * schemas (named ones as components), success responses wrapped in the envelope, the error
 * responses each route can produce, tags with descriptions, `x-tagGroups` and servers.
 * With tag groups, untagged operations get the tag `default` and tags no group lists go
 * to a last group `Other`, so Redoc (which hides ungrouped tags) still shows them.
 */
export function buildOpenApi(
  routes: readonly Route[],
  settings: Pick<
    HttpSettings,
    'docsTitle' | 'docsServers' | 'docsRemovePathPrefix' | 'docsTagDescriptions' | 'docsTagGroups'
  >,
  version = '1.0.0',
): OpenApiDocument {
  const converter = new SchemaConverter();
  const paths: Record<string, Record<string, Record<string, unknown>>> = {};
  const usedTags = new Set<string>();
  const prefix = settings.docsRemovePathPrefix?.replace(/\/$/, '');
  const groups = Object.entries(settings.docsTagGroups);
  // Redoc shows only tags listed in a group once any group exists; Swagger UI files
  // untagged operations under "default". Use that tag so both viewers show them.
  const untagged = groups.length === 0 ? undefined : [UNTAGGED];

  for (const r of routes) {
    const o = r.options;
    let path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    if (prefix !== undefined && prefix !== '' && path.startsWith(prefix)) {
      path = path.slice(prefix.length) || '/';
      if (!path.startsWith('/')) path = `/${path}`;
    }
    const tags = o.tags ?? untagged;
    for (const tag of tags ?? []) usedTags.add(tag);

    const data = o.response === undefined ? {} : converter.convert(o.response, 'output');
    const responses: Record<string, unknown> = {};
    for (const status of statusesOf(`route ${r.method} ${r.path}`, o.status)) {
      responses[String(status)] = successResponse(status, data);
    }
    const errors = new Set<number>(o.errors ?? []);
    if (o.params !== undefined || o.query !== undefined || o.headers !== undefined) errors.add(400);
    if (o.body !== undefined) for (const s of [400, 413, 415, 422]) errors.add(s);
    errors.add(500);
    for (const s of [...errors].sort()) responses[String(s)] = errorResponse(s);

    const params = [
      ...parameters(converter, o.params, 'path'),
      ...parameters(converter, o.query, 'query'),
      ...parameters(converter, o.headers, 'header'),
    ];
    // Path parameters the schema does not describe are still strings in the path.
    for (const name of r.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
      const n = name.slice(1);
      if (!params.some((p) => p.in === 'path' && p.name === n)) {
        params.push({ name: n, in: 'path', required: true, schema: { type: 'string' } });
      }
    }

    const operation: Record<string, unknown> = {
      ...(tags === undefined ? {} : { tags: [...tags] }),
      ...(o.summary === undefined ? {} : { summary: o.summary }),
      ...(o.description === undefined ? {} : { description: o.description }),
      ...(o.operationId === undefined ? {} : { operationId: o.operationId }),
      ...(o.deprecated === true ? { deprecated: true } : {}),
      ...(params.length === 0 ? {} : { parameters: params }),
      ...(o.body === undefined
        ? {}
        : {
            requestBody: {
              required: !o.body.safeParse(undefined).success,
              content: { 'application/json': { schema: converter.convert(o.body, 'input') } },
            },
          }),
      responses,
    };
    paths[path] ??= {};
    (paths[path] as Record<string, Record<string, unknown>>)[r.method.toLowerCase()] = operation;
  }

  const tagNames = [...new Set([...Object.keys(settings.docsTagDescriptions), ...usedTags])];
  const grouped = new Set(groups.flatMap(([, tags]) => tags));
  const ungrouped = tagNames.filter((name) => !grouped.has(name));
  const tagGroups = groups.map(([name, tags]) => ({ name, tags: [...tags] }));
  if (groups.length > 0 && ungrouped.length > 0) {
    tagGroups.push({ name: OTHER_GROUP, tags: ungrouped });
  }
  return {
    openapi: '3.1.0',
    info: { title: settings.docsTitle, version },
    ...(settings.docsServers.length === 0
      ? {}
      : { servers: settings.docsServers.map((url) => ({ url })) }),
    ...(tagNames.length === 0
      ? {}
      : {
          tags: tagNames.map((name) => {
            const description = settings.docsTagDescriptions[name];
            return description === undefined ? { name } : { name, description };
          }),
        }),
    ...(groups.length === 0 ? {} : { 'x-tagGroups': tagGroups }),
    paths,
    components: {
      schemas: converter.components,
      headers: {
        RequestId: {
          description:
            'The request id: the one the client sent when it is safe (letters, digits, `-_.:`, up to 128), else a new one',
          schema: { type: 'string' },
        },
      },
    },
  };
}
