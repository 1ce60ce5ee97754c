import type * as z from 'zod';

/** The parts of a zod schema's definition Libretto reads: its `type` and, by type, its parts. */
export type SchemaDef = { readonly type: string } & Readonly<Record<string, unknown>>;

/** The internal definition of a zod schema (its `type` and parts). */
export function defOf(schema: z.core.$ZodType): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

// Wrappers that do not change what the value is, only whether it may be missing or null.
const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
]);

/** What {@link unwrap} found around the schema that reads the value. */
export interface Unwrapped {
  readonly core: z.core.$ZodType;
  readonly optional: boolean;
  readonly nullable: boolean;
}

/**
 * Strips wrappers (optional, nullable, default, readonly, lazy, pipes) down to the schema
 * that says what the value is. A pipe (`.transform()`, `.pipe()`) has two sides: `input`
 * (what is parsed: HTTP inputs, configuration) follows its input schema; `output` (what a
 * parsed value is: stored model fields) follows its output schema, or the input schema when
 * the output is a bare transform, whose type zod cannot tell.
 */
export function unwrap(schema: z.core.$ZodType, side: 'input' | 'output' = 'input'): Unwrapped {
  let current = schema;
  let optional = false;
  let nullable = false;
  // Bounded: a lazy schema may refer to itself.
  for (let i = 0; i < 32; i++) {
    const def = defOf(current);
    if (def.type === 'optional') optional = true;
    if (def.type === 'nullable') nullable = true;
    if (WRAPPERS.has(def.type)) current = def.innerType as z.core.$ZodType;
    else if (def.type === 'pipe') {
      const out = def.out as z.core.$ZodType;
      current =
        side === 'output' && defOf(out).type !== 'transform' ? out : (def.in as z.core.$ZodType);
    } else if (def.type === 'lazy') current = (def.getter as () => z.core.$ZodType)();
    else break;
  }
  return { core: current, optional, nullable };
}
