import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document the client reads. */
interface Operation {
  readonly operationId?: string;
  readonly parameters?: readonly { name: string; in: string; required?: boolean }[];
  readonly requestBody?: unknown;
  readonly responses: Readonly<Record<string, { content?: Record<string, unknown> }>>;
}
export interface Document {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

/** What a call sends: path, query and header parameters by name, and a JSON body. */
export interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | boolean>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A call's answer, checked against the document. */
export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { success: boolean; data: Record<string, unknown> & unknown; error: unknown };
}

const pointerPart = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * A client generated at run time from a served OpenAPI document: one call per
 * `operationId`, which fills the path template, refuses parameters the operation does not
 * declare, and checks every answer against the document — its status must be one the
 * operation lists, its body must validate against that status' schema (draft 2020-12, with
 * formats), and it must carry the headers the document says every answer carries.
 */
export function clientFrom(document: Document, baseUrl: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: 'openapi' });
  const operations = new Map<string, { method: string; path: string; operation: Operation }>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (operation.operationId === undefined) throw new Error(`${method} ${path}: no operationId`);
      operations.set(operation.operationId, { method, path, operation });
    }
  }
  const called = new Set<string>();
  const answered = new Map<string, Set<string>>();

  async function call(operationId: string, input: CallInput = {}): Promise<CallResult> {
    const found = operations.get(operationId);
    if (found === undefined) throw new Error(`no operation ${operationId} in the document`);
    const { method, path, operation } = found;
    const declared = new Map((operation.parameters ?? []).map((p) => [`${p.in}:${p.name}`, p]));
    for (const [where, values] of [
      ['path', input.params],
      ['query', input.query],
      ['header', input.headers],
    ] as const) {
      for (const name of Object.keys(values ?? {})) {
        if (!declared.has(`${where}:${name}`)) {
          throw new Error(`${operationId}: the document declares no ${where} parameter ${name}`);
        }
      }
    }
    const url = new URL(
      path.replace(/\{(\w+)\}/g, (_, name: string) =>
        encodeURIComponent(input.params?.[name] ?? ''),
      ),
      baseUrl,
    );
    for (const [name, value] of Object.entries(input.query ?? {})) {
      url.searchParams.set(name, String(value));
    }
    const response = await fetch(url, {
      method: method.toUpperCase(),
      headers: {
        ...input.headers,
        ...(input.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
    });
    const status = String(response.status);
    called.add(operationId);
    const seen = answered.get(operationId) ?? new Set<string>();
    seen.add(status);
    answered.set(operationId, seen);
    const documented = operation.responses[status];
    if (documented === undefined) {
      throw new Error(
        `${operationId} answered ${status}, which the document does not list (${Object.keys(operation.responses).join(', ')})`,
      );
    }
    if (response.headers.get('x-request-id') === null) {
      throw new Error(`${operationId} ${status}: no X-Request-Id header`);
    }
    const text = await response.text();
    if (documented.content === undefined) {
      if (text !== '')
        throw new Error(`${operationId} ${status}: a body the document does not have`);
      return { status: response.status, headers: response.headers, body: undefined as never };
    }
    const body = JSON.parse(text) as CallResult['body'];
    const pointer = `openapi#/paths/${pointerPart(path)}/${method}/responses/${status}/content/${pointerPart('application/json')}/schema`;
    const validate = ajv.getSchema(pointer);
    if (validate === undefined)
      throw new Error(`${operationId} ${status}: no schema at ${pointer}`);
    if (!validate(body)) {
      throw new Error(
        `${operationId} ${status}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${text}`,
      );
    }
    return { status: response.status, headers: response.headers, body };
  }

  return {
    call,
    /** Operations of the document never called. */
    uncalled: () => [...operations.keys()].filter((id) => !called.has(id)),
    /** Every status each operation answered. */
    answered: () => answered,
  };
}
