/** Settings where every field may be left out. */
export type SettingsLayer<T> = { readonly [K in keyof T]?: T[K] | undefined };

/**
 * Resolves settings by precedence: explicit constructor values > DI-provided config >
 * defaults. A field that is `undefined` in a layer falls through to the next one; values
 * are taken whole (objects are not merged key by key).
 *
 * @example
 * const settings = resolveSettings({ port: 8080, address: '0.0.0.0' }, fromDi, { port: 9090 });
 */
export function resolveSettings<T extends object>(
  defaults: T,
  provided?: SettingsLayer<T> | undefined,
  explicit?: SettingsLayer<T> | undefined,
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const layer of [provided, explicit]) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) out[key] = value;
  }
  return out as T;
}
