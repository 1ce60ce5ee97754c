import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Fields, ModelOptions } from './model-types.js';

const DATE_TIME = { type: 'string', format: 'date-time' } as const;
const uuid = () => z.uuid();
const dateTime = () => z.date().meta(DATE_TIME);

/** A field a model's options add (the Big 6, timestamps, `deletedAt`): its key or a base column. */
export interface BaseField {
  readonly property: string;
  readonly schema: z.ZodType;
  readonly role: 'key' | 'base';
}

/** The base fields a model's options add, in column order. */
export function baseFields(options: ModelOptions<Fields>): BaseField[] {
  const out: BaseField[] = [];
  if (options.embedded !== true) {
    if (options.versioned === true) {
      out.push(
        { property: 'entityId', schema: uuid(), role: 'key' },
        { property: 'version', schema: uuid(), role: 'base' },
        { property: 'previousVersion', schema: uuid().nullable(), role: 'base' },
        { property: 'changedOn', schema: dateTime(), role: 'base' },
        { property: 'changedById', schema: z.string().nullable(), role: 'base' },
        { property: 'active', schema: z.boolean(), role: 'base' },
      );
    } else if (options.primaryKey === undefined) {
      out.push({ property: 'entityId', schema: uuid(), role: 'key' });
    }
  }
  if (options.timestamps === true) {
    out.push(
      { property: 'createdAt', schema: dateTime(), role: 'base' },
      { property: 'updatedAt', schema: dateTime(), role: 'base' },
    );
  }
  if (options.softDelete === true) {
    out.push({ property: 'deletedAt', schema: dateTime().nullable(), role: 'base' });
  }
  return out;
}

/** The base fields' values in a new entity: a new id and version, no history, now. */
export function baseDefaults(options: ModelOptions<Fields>): Record<string, unknown> {
  const now = new Date();
  const base: Record<string, unknown> = {};
  if (options.embedded !== true) {
    if (options.versioned === true) {
      Object.assign(base, {
        entityId: randomUUID(),
        version: randomUUID(),
        previousVersion: null,
        changedOn: now,
        changedById: null,
        active: true,
      });
    } else if (options.primaryKey === undefined) base.entityId = randomUUID();
  }
  if (options.timestamps === true) Object.assign(base, { createdAt: now, updatedAt: now });
  if (options.softDelete === true) base.deletedAt = null;
  return base;
}
