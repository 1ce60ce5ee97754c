import type { z } from 'zod';
import type { FieldList } from './model-constraints.js';

/** A model's own fields: zod schemas by property name. */
export type Fields = Readonly<Record<string, z.ZodType>>;

/** The "Big 6" of a versioned model. */
export interface VersionFields {
  entityId: string;
  /** This version's id; a new one on every save. */
  version: string;
  /** The version this one replaced; null for the first. */
  previousVersion: string | null;
  changedOn: Date;
  /** Who made this version (whatever id the application uses), if known. */
  changedById: string | null;
  /** False once deleted (a soft delete is a version too). */
  active: boolean;
}

/** Base-entity timestamps. */
export interface TimestampFields {
  createdAt: Date;
  updatedAt: Date;
}

/** Soft delete of an unversioned model: set instead of removing the row. */
export interface SoftDeleteFields {
  deletedAt: Date | null;
}

/** A computed value's function (method-typed, so any model is a `Model` of loose fields). */
type Compute<E> = { compute(entity: E): unknown }['compute'];

/** Options of `model()`. */
export interface ModelOptions<F extends Fields> {
  /** The Big 6 (entityId, version, previousVersion, changedOn, changedById, active), audit history. */
  readonly versioned?: boolean;
  /** A value nested in other models (`Address.schema` as a field): no key, no table. */
  readonly embedded?: boolean;
  /** Table name; default the model name. */
  readonly table?: string;
  /** Fields forming the primary key, instead of a generated `entityId` (not with `versioned`). */
  readonly primaryKey?: readonly (keyof F & string)[];
  /** Versioned: keep replaced versions in `<table>_audit` (default true). */
  readonly audit?: boolean;
  /** `createdAt` and `updatedAt`, set on save. */
  readonly timestamps?: boolean;
  /** Unversioned: `deletedAt`; `delete` sets it and reads skip such rows. */
  readonly softDelete?: boolean;
  /** Keep unknown keys given to `fromDict` (stored in an `extra` column). */
  readonly extra?: boolean;
  /** Names used in dicts instead of property names (never for the base fields). */
  readonly aliases?: { readonly [K in keyof F]?: string };
  /** Values derived from the fields: in `toDict` by default, in the table only with `saveComputed`. */
  readonly computed?: Readonly<Record<string, Compute<z.output<z.ZodObject<F>>>>>;
  /** Store computed values in columns of their own. */
  readonly saveComputed?: boolean;
  /**
   * Fields whose values no two live entities share: a field, or a list for a composite
   * (`['email', ['orgCode', 'number']]`). A duplicate is an AlreadyExistsError naming them.
   */
  readonly unique?: readonly FieldList<FieldName<F>>[];
  /** Indexes on a field or a list of fields, for searches by them. */
  readonly indexes?: readonly FieldList<FieldName<F>>[];
  /**
   * Check constraints by name: boolean SQL over the table's column names (`'age >= 0'`),
   * written by server code, never built from input. A failure is a ValidationError naming it.
   */
  readonly checks?: Readonly<Record<string, string>>;
}

/** A field a constraint can name: the model's own, or a base field such as `createdAt`. */
type FieldName<F extends Fields> = (keyof F & string) | 'createdAt' | 'updatedAt' | 'changedById';

type Flag<O, K extends string> = O extends { readonly [P in K]: true } ? true : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

// biome-ignore lint/complexity/noBannedTypes: the empty part of an intersection
type Nothing = {};

/** The key fields a model adds: the Big 6, `entityId`, or nothing (own primary key, embedded). */
type KeyFields<O> =
  Flag<O, 'embedded'> extends true
    ? Nothing
    : Flag<O, 'versioned'> extends true
      ? VersionFields
      : O extends { readonly primaryKey: readonly string[] }
        ? Nothing
        : { entityId: string };

/** An entity of a model: its base fields and its own, as plain data. */
export type EntityOf<F extends Fields, O> = Simplify<
  KeyFields<O> &
    (Flag<O, 'timestamps'> extends true ? TimestampFields : Nothing) &
    (Flag<O, 'softDelete'> extends true ? SoftDeleteFields : Nothing) &
    z.output<z.ZodObject<F>>
> &
  (Flag<O, 'extra'> extends true ? { [key: string]: unknown } : Nothing);

/** What `create` takes: the model's own fields. */
export type InputOf<F extends Fields> = z.input<z.ZodObject<F>>;

/** How an entity is found: its `entityId`, its one key field's value, or an object of its key fields. */
export type IdOf<F extends Fields, O> = O extends {
  readonly primaryKey: readonly [infer K extends keyof F & string];
}
  ? z.output<F[K]>
  : O extends { readonly primaryKey: readonly (infer K extends keyof F & string)[] }
    ? { [P in K]: z.output<F[P]> }
    : string;
