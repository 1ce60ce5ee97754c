import { ValidationError } from '../errors/domain-errors.js';
import type { DynamoAccess } from './dynamo-access.js';
import type { Item } from './dynamo-items.js';
import type { ReadPlan } from './dynamo-read-plan.js';

interface PageOutput {
  readonly Items?: Item[];
  readonly Count?: number;
  readonly LastEvaluatedKey?: Item;
}

/** Items a plan matches, from `start`, up to `limit` (all when undefined), and where they end. */
export interface ReadResult {
  readonly items: Item[];
  /** The position after the last item returned, when more may follow. */
  readonly next: Item | undefined;
}

function positionOf(item: Item, keys: readonly string[]): Item {
  const position: Item = {};
  for (const k of keys) position[k] = item[k];
  return position;
}

/**
 * Runs a plan's Query or Scan page after page (`LastEvaluatedKey`) until `limit` items match
 * or none are left. A filtered page may read more items than it returns; the position handed
 * back is then the last item returned, so the next page starts right after it.
 */
export async function readItems(
  access: DynamoAccess,
  plan: ReadPlan,
  limit: number | undefined,
  start: Item | undefined,
): Promise<ReadResult> {
  if (plan.operation === 'none' || limit === 0) return { items: [], next: undefined };
  const { QueryCommand, ScanCommand } = access.sdk;
  const table = plan.input.TableName as string;
  const items: Item[] = [];
  let from = start;
  for (;;) {
    const wanted = limit === undefined ? undefined : limit - items.length;
    // A filter drops items after the read: read more than wanted, not one request per item.
    const size = wanted === undefined ? undefined : plan.filtered ? Math.max(wanted, 100) : wanted;
    const input = {
      ...plan.input,
      ...(from === undefined ? {} : { ExclusiveStartKey: from }),
      ...(size === undefined ? {} : { Limit: size }),
    };
    const command =
      plan.operation === 'query'
        ? new QueryCommand(input as never)
        : new ScanCommand(input as never);
    const out = await access.send<PageOutput>(command, table);
    const read = out.Items ?? [];
    const got = plan.post.length === 0 ? read : read.filter((i) => plan.post.every((p) => p(i)));
    if (wanted !== undefined && got.length >= wanted) {
      items.push(...got.slice(0, wanted));
      const last = items[items.length - 1] as Item;
      const more = got.length > wanted || out.LastEvaluatedKey !== undefined;
      return { items, next: more ? positionOf(last, plan.positionKeys) : undefined };
    }
    items.push(...got);
    from = out.LastEvaluatedKey;
    if (from === undefined) return { items, next: undefined };
  }
}

/** How many items a plan matches: `Select: COUNT`, page after page (every match is read). */
export async function countItems(access: DynamoAccess, plan: ReadPlan): Promise<number> {
  if (plan.operation === 'none') return 0;
  // Checked here, not by DynamoDB: the items must come back to be counted.
  if (plan.post.length > 0)
    return (await readItems(access, plan, undefined, undefined)).items.length;
  const { QueryCommand, ScanCommand } = access.sdk;
  let total = 0;
  let from: Item | undefined;
  do {
    const input = {
      ...plan.input,
      Select: 'COUNT',
      ...(from === undefined ? {} : { ExclusiveStartKey: from }),
    };
    const command =
      plan.operation === 'query'
        ? new QueryCommand(input as never)
        : new ScanCommand(input as never);
    const out = await access.send<PageOutput>(command, plan.input.TableName as string);
    total += out.Count ?? 0;
    from = out.LastEvaluatedKey;
  } while (from !== undefined);
  return total;
}

const BATCH = 100;

/** The items with these keys (BatchGetItem, 100 keys a request, unprocessed keys asked again). */
export async function batchGet(
  access: DynamoAccess,
  table: string,
  keys: readonly Item[],
  consistent: boolean,
): Promise<Item[]> {
  const { BatchGetCommand } = access.sdk;
  const found: Item[] = [];
  for (let i = 0; i < keys.length; i += BATCH) {
    let pending: Item[] | undefined = keys.slice(i, i + BATCH);
    while (pending !== undefined && pending.length > 0) {
      const out: {
        Responses?: Record<string, Item[]>;
        UnprocessedKeys?: Record<string, { Keys?: Item[] }>;
      } = await access.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) },
          },
        } as never),
        table,
      );
      found.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}

/** A position as the opaque cursor of `page()`: base64url JSON. */
export function encodeCursor(position: Item): string {
  return Buffer.from(
    JSON.stringify(position, (_, v) => (typeof v === 'bigint' ? { n: String(v) } : v)),
  ).toString('base64url');
}

/**
 * The position a cursor holds, checked: the attributes this read's positions have, each text
 * or a number (ValidationError `INVALID_CURSOR` otherwise: a cursor may come from a client).
 */
export function decodeCursor(cursor: unknown, keys: readonly string[]): Item {
  const invalid = (): never => {
    throw new ValidationError('cursor: not a cursor of this read', {
      code: 'INVALID_CURSOR',
      details: [{ path: 'cursor', message: 'not a cursor of this read' }],
    });
  };
  if (typeof cursor !== 'string' || cursor.length > 4096) return invalid();
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalid();
  }
  if (typeof position !== 'object' || position === null || Array.isArray(position))
    return invalid();
  const entries = Object.entries(position);
  if (entries.length !== keys.length) return invalid();
  const out: Item = {};
  for (const [key, value] of entries) {
    if (!keys.includes(key)) return invalid();
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'string') out[key] = value;
    else if (isBigintText(value)) out[key] = BigInt(value.n);
    else return invalid();
  }
  return out;
}

function isBigintText(value: unknown): value is { n: string } {
  if (typeof value !== 'object' || value === null) return false;
  const n = (value as { n?: unknown }).n;
  return Object.keys(value).length === 1 && typeof n === 'string' && /^-?\d{1,40}$/.test(n);
}
