import { resolveSettings } from 'libretto';
import { describe, expect, it } from 'vitest';

describe('resolveSettings (CFG-4)', () => {
  const defaults = { address: '0.0.0.0', port: 8080, title: 'API' };

  it('explicit constructor values win over DI-provided config, which wins over defaults', () => {
    expect(resolveSettings(defaults, { port: 9000, title: 'From DI' }, { port: 9090 })).toEqual({
      address: '0.0.0.0',
      port: 9090,
      title: 'From DI',
    });
  });

  it('an undefined field falls through to the next layer', () => {
    expect(resolveSettings(defaults, { port: undefined }, { title: undefined })).toEqual(defaults);
    expect(resolveSettings(defaults, undefined, undefined)).toEqual(defaults);
  });

  it('does not modify its inputs', () => {
    const provided = { port: 1 };
    resolveSettings(defaults, provided, { port: 2 });
    expect(defaults.port).toBe(8080);
    expect(provided.port).toBe(1);
  });
});
