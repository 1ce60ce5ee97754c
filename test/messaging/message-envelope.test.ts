// The envelope's JSON form, what counts as malformed, and that importing libretto/messaging
// does not load amqplib (an optional peer, loaded on the first connection).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from 'libretto/messaging';
import { describe, expect, it } from 'vitest';

describe('message envelope', () => {
  it('round-trips through JSON with id, key, type, headers and createdAt', () => {
    const e = createEnvelope({ a: 1 }, { key: 'k', type: 'T', headers: { h: 'v' } });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    expect(createEnvelope(null, { createdAt: new Date(0) }).createdAt).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });

  it.each([
    ['nope', /^Malformed message: not JSON/],
    ['[1]', /^Malformed message: not an envelope: a JSON array$/],
    ['{"id":"x","createdAt":"2026-01-01T00:00:00Z"}', /: no data$/],
    ['{"id":"x","createdAt":"yesterday","data":1}', /: createdAt is not an ISO date$/],
    ['{"id":"x","createdAt":"2026-01-01T00:00:00Z","headers":{"a":1},"data":1}', /headers/],
    ['{"id":"x","key":7,"createdAt":"2026-01-01T00:00:00Z","data":1}', /key is neither/],
  ])('refuses %s with the reason (MESSAGE_MALFORMED)', (body, reason) => {
    expect(() => decodeEnvelope(body)).toThrow(reason);
    try {
      decodeEnvelope(body);
    } catch (error) {
      expect((error as { code: string }).code).toBe('MESSAGE_MALFORMED');
    }
  });

  it('importing libretto/messaging does not load amqplib', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
await import('./src/messaging/index.ts');
const require = createRequire(import.meta.url);
console.log(Object.keys(require.cache).some((p) => p.includes('/node_modules/amqplib/')));`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('false');
  });
});
