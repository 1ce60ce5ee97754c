import { ConflictError, NotFoundError } from '../errors/domain-errors.js';
import type { SaveOptions } from './repository-options.js';

/**
 * The objects a versioned save replaced, each with the version it was saved as, whatever store
 * saved it: saving such an object again is `OUT_OF_DATE_COPY`, not someone else's save.
 */
const replaced = new WeakMap<object, unknown>();

/** Notes that `origin` (the object the caller passed) was saved as `version`. */
export function markReplaced(origin: object, version: unknown): void {
  replaced.set(origin, version);
}

/**
 * Why a versioned save wrote nothing: the entity was deleted (`stored` null), this very object
 * was saved already (`OUT_OF_DATE_COPY`), or someone else saved since it was read.
 */
export function staleSave(
  model: string,
  record: { readonly entityId?: unknown; readonly version?: unknown },
  stored: string | null,
  origin: object,
): ConflictError {
  const id = String(record.entityId);
  const version = String(record.version);
  const details = [{ resource: model, id, version, current: stored }];
  if (stored === null) {
    return new ConflictError(`${model} ${id} was deleted since version ${version} was read`, {
      code: 'ENTITY_DELETED',
      details,
    });
  }
  if (replaced.has(origin)) {
    return new ConflictError(
      `This copy of ${model} ${id} is out of date: it was saved already, as version ${String(replaced.get(origin))}; save the object save returned`,
      { code: 'OUT_OF_DATE_COPY', details },
    );
  }
  return new ConflictError(
    `${model} ${id} was saved by someone else since version ${version} was read`,
    { code: 'STALE_VERSION', details },
  );
}

/** NotFoundError `ENTITY_NOT_FOUND` for the entity of `model` with this id. */
export function entityNotFound(model: string, id: unknown): NotFoundError {
  return new NotFoundError(`${model} not found`, {
    code: 'ENTITY_NOT_FOUND',
    details: [{ resource: model, id: id as string }],
  });
}

/** Who saves: the call's `changedById`, else the repository's `changedBy`, else nobody. */
export function savedBy(
  options: SaveOptions,
  fallback: (() => string | null | undefined) | undefined,
): string | null {
  return options.changedById !== undefined ? options.changedById : (fallback?.() ?? null);
}
