import { ConfigError, coerceToSchema, readEnvConfig } from 'libretto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

describe('readEnvConfig (CFG-2)', () => {
  it('nests on __ below the prefix and lower-cases keys', () => {
    const { tree, origins } = readEnvConfig(
      {
        LIBRETTO_POSTGRES__POOL_SIZE: '20',
        LIBRETTO_POSTGRES__USER: 'app',
        LIBRETTO_API__DOCS__TITLE: 'Demo',
        LIBRETTO_DEBUG: 'true',
        OTHER_THING: 'ignored',
        LIBRETTO_: 'ignored too',
      },
      'LIBRETTO_',
    );
    expect(tree).toEqual({
      postgres: { pool_size: '20', user: 'app' },
      api: { docs: { title: 'Demo' } },
      debug: 'true',
    });
    expect(origins.get('postgres.pool_size')).toBe('LIBRETTO_POSTGRES__POOL_SIZE');
  });

  it('skips excluded variables', () => {
    expect(
      readEnvConfig({ APP_CONFIG: 'x.yaml', APP_A: '1' }, 'APP_', ['APP_CONFIG']).tree,
    ).toEqual({ a: '1' });
  });

  it('rejects a variable that is both a value and a parent', () => {
    expect(() => readEnvConfig({ P_A: '1', P_A__B: '2' }, 'P_')).toThrow(ConfigError);
    expect(() => readEnvConfig({ P_A__B: '2', P_A: '1' }, 'P_')).toThrow(/conflicts/);
  });

  it('rejects empty key segments', () => {
    expect(() => readEnvConfig({ P_A____B: '1' }, 'P_')).toThrow(/empty key segment/);
  });
});

describe('coerceToSchema', () => {
  const schema = z.object({
    pool_size: z.number().int(),
    ratio: z.number().optional(),
    debug: z.boolean().default(false),
    hosts: z.array(z.string()),
    ports: z.array(z.number()),
    mode: z.enum(['a', 'b']),
    level: z.union([z.literal(1), z.literal(2)]),
    port_or_socket: z.union([z.number(), z.string()]),
    limit: z.number().nullable(),
    big: z.bigint(),
    tags: z.record(z.string(), z.number()),
    nested: z.object({ maxAge: z.number() }),
    name: z.string(),
  });

  it('converts strings to what the schema expects', () => {
    const coerced = coerceToSchema(
      {
        pool_size: '20',
        ratio: '0.5',
        debug: 'yes',
        hosts: 'a:1, b:2',
        ports: '[5432, 5433]',
        mode: 'a',
        level: '2',
        port_or_socket: '/tmp/sock',
        limit: 'null',
        big: '9007199254740993',
        tags: { x: '3' },
        nested: { maxage: '60' },
        name: '0123',
      },
      schema,
    );
    expect(coerced).toEqual({
      pool_size: 20,
      ratio: 0.5,
      debug: true,
      hosts: ['a:1', 'b:2'],
      ports: [5432, 5433],
      mode: 'a',
      level: 2,
      port_or_socket: '/tmp/sock',
      limit: null,
      big: 9007199254740993n,
      tags: { x: 3 },
      nested: { maxAge: 60 },
      name: '0123',
    });
    expect(schema.safeParse(coerced).success).toBe(true);
  });

  it('leaves values it cannot convert for the schema to reject', () => {
    const coerced = coerceToSchema({ pool_size: 'twenty', debug: 'maybe' }, schema) as Record<
      string,
      unknown
    >;
    expect(coerced.pool_size).toBe('twenty');
    expect(coerced.debug).toBe('maybe');
  });

  it('reads booleans in every documented spelling', () => {
    const b = z.boolean();
    for (const t of ['true', 'TRUE', '1', 'yes', 'on']) expect(coerceToSchema(t, b)).toBe(true);
    for (const f of ['false', '0', 'no', 'Off']) expect(coerceToSchema(f, b)).toBe(false);
  });

  it('sees through optional, default, pipe and transform wrappers', () => {
    expect(coerceToSchema('5', z.number().optional().default(1))).toBe(5);
    expect(
      coerceToSchema(
        '5',
        z.number().transform((n) => n * 2),
      ),
    ).toBe(5);
  });
});
