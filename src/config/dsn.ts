import { MASK } from '../internal/redaction.js';
import { DsnError } from './config-errors.js';

/** One host of a DSN. */
export interface DsnHost {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * A parsed connection string. `password` is not enumerable, so spreading, logging or
 * JSON-serializing a `Dsn` never shows it; read it explicitly.
 */
export interface Dsn {
  /** As written, e.g. `postgresql` or `postgresql+psycopg`. */
  readonly scheme: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Every host, in order; a host without a port gets the shared or default port. */
  readonly hosts: readonly DsnHost[];
  /** The first host (convenience for single-host DSNs). */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly database: string | undefined;
  readonly params: Readonly<Record<string, string>>;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  postgresql: 5432,
  postgres: 5432,
  mysql: 3306,
  mariadb: 3306,
  amqp: 5672,
  amqps: 5671,
  redis: 6379,
  rediss: 6379,
  nats: 4222,
  mongodb: 27017,
};

/** Options of `parseDsn`. */
export interface ParseDsnOptions {
  /** Port for hosts that give none; default by scheme (5432 for postgresql). */
  readonly defaultPort?: number;
}

function decode(dsn: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DsnError(dsn, `${what} has malformed percent-encoding`);
  }
}

// The port's text is never quoted: in a malformed DSN it can be part of a password.
function parsePort(dsn: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new DsnError(dsn, 'a port is not a number');
  const port = Number(text);
  if (port < 1 || port > 65535) throw new DsnError(dsn, 'a port is out of range 1-65535');
  return port;
}

function splitHost(dsn: string, text: string): { host: string; port: string | undefined } {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw new DsnError(dsn, 'unclosed "[" in a host');
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new DsnError(dsn, 'text after "]" in a host');
    return { host: text.slice(1, end), port: rest === '' ? undefined : rest.slice(1) };
  }
  const colon = text.lastIndexOf(':');
  if (colon !== text.indexOf(':')) {
    throw new DsnError(dsn, 'an IPv6 address must be in brackets, e.g. [::1]:5432');
  }
  return colon < 0
    ? { host: text, port: undefined }
    : { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

/**
 * Parses `scheme://user:password@host1:port1,host2,host3:port3/database?param=value`.
 *
 * Multi-host rules (as hasql): each host may carry its own port; a host without one gets
 * the default port — except when only the last host has a port, which then applies to all
 * (`postgresql://db1,db2,db3:6432/` puts every host on 6432). User and password are
 * percent-decoded. Throws `DsnError` (a ValidationError) with the password masked.
 */
export function parseDsn(dsn: string, options: ParseDsnOptions = {}): Dsn {
  if (typeof dsn !== 'string') throw new DsnError(String(dsn), 'a DSN must be a string');
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(dsn);
  if (schemeMatch === null) {
    throw new DsnError(dsn, 'expected "scheme://…" (e.g. postgresql://user:pass@host/db)');
  }
  const scheme = (schemeMatch[1] as string).toLowerCase();
  // No `#fragment` in connection strings: a `#` belongs to the password or the parameters.
  let rest = dsn.slice(schemeMatch[0].length);
  // The address ends at the first `/` or `?`; an `@` after that means credentials with an
  // unencoded reserved character, which would otherwise be misread as host and port.
  const end = rest.search(/[/?]/);
  if (end >= 0 && rest.indexOf('@', end) >= 0) {
    throw new DsnError(
      dsn,
      'the user or password holds an unencoded "/" or "?": percent-encode it (%2F, %3F)',
    );
  }
  let query = '';
  const queryAt = rest.indexOf('?');
  if (queryAt >= 0) {
    query = rest.slice(queryAt + 1);
    rest = rest.slice(0, queryAt);
  }
  const slashAt = rest.indexOf('/');
  const authority = slashAt >= 0 ? rest.slice(0, slashAt) : rest;
  const path = slashAt >= 0 ? rest.slice(slashAt + 1) : '';

  let user: string | undefined;
  let password: string | undefined;
  let hostList = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    hostList = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const rawUser = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    user = rawUser === '' ? undefined : decode(dsn, rawUser, 'user');
    if (colon >= 0) password = decode(dsn, userinfo.slice(colon + 1), 'password');
  }

  const defaultPort = options.defaultPort ?? DEFAULT_PORTS[scheme.split('+')[0] as string];
  const parts = hostList === '' ? [] : hostList.split(',');
  const split = parts.map((p) => {
    if (p === '') throw new DsnError(dsn, 'empty host in host list');
    const { host: raw, port } = splitHost(dsn, p);
    if (raw === '') throw new DsnError(dsn, 'missing host name before a port');
    const host = decode(dsn, raw, 'a host name');
    // A decoded `/path` is a Unix socket directory; anything else is a name or an address.
    if (!host.startsWith('/') && /[\s/@?#]/.test(host)) {
      throw new DsnError(dsn, `invalid host name "${host}"`);
    }
    return { host, port: port === undefined ? undefined : parsePort(dsn, port) };
  });
  const last = split.at(-1);
  const sharedPort =
    split.length > 1 &&
    last?.port !== undefined &&
    split.slice(0, -1).every((h) => h.port === undefined)
      ? last.port
      : undefined;
  const hosts: DsnHost[] = split.map((h) => ({
    host: h.host,
    port: h.port ?? sharedPort ?? defaultPort,
  }));

  const params: Record<string, string> = {};
  if (query !== '') {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decode(dsn, eq >= 0 ? pair.slice(0, eq) : pair, 'a parameter name');
      params[key] = decode(dsn, eq >= 0 ? pair.slice(eq + 1).replace(/\+/g, ' ') : '', key);
    }
  }

  // libpq also takes hosts from parameters: `postgresql:///db?host=/run/pg&port=5433`.
  if (hosts.length === 0 && params.host !== undefined && params.host !== '') {
    const ports = (params.port ?? '').split(',');
    params.host.split(',').forEach((host, i) => {
      const port = ports[i] ?? ports[0] ?? '';
      hosts.push({ host, port: port === '' ? defaultPort : parsePort(dsn, port) });
    });
  }

  const result = {
    scheme,
    user,
    hosts,
    host: hosts[0]?.host,
    port: hosts[0]?.port,
    database: path === '' ? undefined : decode(dsn, path, 'database name'),
    params,
  };
  Object.defineProperty(result, 'password', { value: password, enumerable: false });
  return result as unknown as Dsn;
}

/** `host:port` with IPv6 addresses in brackets. */
function hostPort(h: DsnHost): string {
  const name = h.host.includes(':') ? `[${h.host}]` : h.host;
  return h.port === undefined ? name : `${name}:${h.port}`;
}

/** Writes a DSN back as a string; the password is masked unless `revealPassword` is set. */
export function formatDsn(dsn: Dsn, options: { revealPassword?: boolean } = {}): string {
  const enc = encodeURIComponent;
  let auth = '';
  if (dsn.user !== undefined || dsn.password !== undefined) {
    const pass =
      dsn.password === undefined ? '' : `:${options.revealPassword ? enc(dsn.password) : MASK}`;
    auth = `${enc(dsn.user ?? '')}${pass}@`;
  }
  const hosts = dsn.hosts
    .map((h) => (h.host.startsWith('/') ? encodeURIComponent(h.host) : hostPort(h)))
    .join(',');
  const db = dsn.database === undefined ? '' : `/${enc(dsn.database)}`;
  const query = new URLSearchParams(dsn.params).toString();
  return `${dsn.scheme}://${auth}${hosts}${db}${query === '' ? '' : `?${query}`}`;
}

/** Separate connection fields that a DSN can fill in. */
export interface ConnectionFields {
  readonly dsn?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly hosts?: readonly string[] | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  readonly params?: Readonly<Record<string, string>> | undefined;
}

/**
 * Fills the connection fields that are not set from `fields.dsn`. Fields given explicitly
 * win over the DSN; `params` are merged (explicit keys win). `hosts` lists `host:port` for
 * every host of a multi-host DSN.
 *
 * @example
 * backfillFromDsn({ dsn: 'postgresql://app:pw@db:6432/app', database: 'other' })
 * // { dsn, host: 'db', port: 6432, hosts: ['db:6432'], user: 'app', password: 'pw', database: 'other', params: {} }
 */
export function backfillFromDsn<T extends ConnectionFields>(fields: T): T & ConnectionFields {
  if (fields.dsn === undefined) return fields;
  const dsn = parseDsn(fields.dsn);
  return {
    ...fields,
    host: fields.host ?? dsn.host,
    port: fields.port ?? dsn.port,
    hosts: fields.hosts ?? dsn.hosts.map(hostPort),
    user: fields.user ?? dsn.user,
    password: fields.password ?? dsn.password,
    database: fields.database ?? dsn.database,
    params: { ...dsn.params, ...fields.params },
  };
}
