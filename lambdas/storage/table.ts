import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BadRequest } from '../domain/errors.js';
import type { PageRequest } from '../domain/ports.js';

export type Item = Record<string, unknown>;

/** The parts of an update that callers choose; the table, the key and the return values are the helper's. */
export type UpdateParts = Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeValues'>;

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Unprocessed batch items are retried with jittered backoff this many times before the request fails. */
const MAX_BATCH_ATTEMPTS = 8;

/** Whether `error` is a failed condition (as opposed to a fault worth surfacing). */
export function conditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * Whether a conditional write applied: false when its condition refused it, any other failure thrown.
 *
 * @example `if (!(await applied(db.send(new UpdateCommand({ …, ConditionExpression }))))) …`
 */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (!conditionFailed(error)) throw error;
    return false;
  }
}

/**
 * The chat table and the request patterns every part of the store shares: paging through
 * `LastEvaluatedKey`, batches that retry their unprocessed items, conditional updates and what a refused
 * one saw. It knows no item types; the stores beside it do.
 */
export class Table {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly name: string,
    private readonly nowMs: () => number,
  ) {}

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /**
   * The item a failed conditional write saw. DynamoDB returns it (`ReturnValuesOnConditionCheckFailure`),
   * except when the item does not exist; then one strongly consistent read confirms it, which also covers
   * emulators that ignore the option. This is the refusal path only: a successful write never pays for it.
   */
  async itemSeenBy(error: unknown, key: Item): Promise<Item | null> {
    if (!conditionFailed(error)) throw error;
    // The document client converts responses, not errors: the item arrives in DynamoDB's wire form.
    if (error.Item) return unmarshall(error.Item);
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }),
    );
    return (Item as Item | undefined) ?? null;
  }

  /** Updates an item unless it is gone, without creating it: a missing item is not an error here. */
  async updateIfExists(key: Item, update: UpdateParts): Promise<void> {
    await applied(
      this.db.send(
        new UpdateCommand({
          ...update,
          TableName: this.name,
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  /** Follows LastEvaluatedKey until `max` items (or all of them) are read. */
  async queryAll(
    input: Omit<QueryCommandInput, 'TableName'>,
    max = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const remaining = max - items.length;
      const result = await this.db.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
          ExclusiveStartKey: start,
          ...(Number.isFinite(remaining) ? { Limit: remaining } : {}),
        }),
      );
      items.push(...((result.Items as Item[] | undefined) ?? []));
      start = result.LastEvaluatedKey as Item | undefined;
    } while (start && items.length < max);
    return items;
  }

  /**
   * One page of a query with an opaque cursor. The cursor is DynamoDB's own LastEvaluatedKey, checked against
   * the partition the caller may read, so a forged cursor cannot start a query elsewhere.
   */
  async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
    page: PageRequest,
    ownsKey: (key: Item) => boolean,
  ): Promise<{ items: Item[]; next: string | null }> {
    let start = page.cursor === undefined ? undefined : decodeKeyCursor(page.cursor);
    if (start && !ownsKey(start)) throw new BadRequest('Invalid cursor', 'invalid_cursor');
    const items: Item[] = [];
    let last: Item | undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
          ExclusiveStartKey: start,
          Limit: page.limit - items.length,
        }),
      );
      items.push(...((result.Items as Item[] | undefined) ?? []));
      start = result.LastEvaluatedKey as Item | undefined;
      last = start;
    } while (start && items.length < page.limit);
    // DynamoDB may hand back a key even when nothing follows; only a full page advertises a next one.
    const next =
      last && items.length >= page.limit ? Buffer.from(JSON.stringify(last)).toString('base64url') : null;
    return { items, next };
  }

  /** Writes (puts or deletes) in batches of 25, retrying what DynamoDB left unprocessed. */
  async batchWrite(requests: Item[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      let pending: Record<string, Item[]> | undefined = {
        [this.name]: requests.slice(i, i + BATCH_WRITE_LIMIT),
      };
      for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS)
          throw new Error('BatchWriteItem left items unprocessed after retries');
        if (attempt > 0) await backoff(attempt);
        const result = await this.db.send(
          // biome-ignore lint/suspicious/noExplicitAny: the document client's request type is a deep union.
          new BatchWriteCommand({ RequestItems: pending as any }),
        );
        pending = result.UnprocessedItems as Record<string, Item[]> | undefined;
      }
    }
  }

  /** Reads items by key in batches of 100, retrying unprocessed keys; the found items, in no set order. */
  async batchGet(itemKeys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < itemKeys.length; i += BATCH_GET_LIMIT) {
      let request: Record<string, { Keys: Item[]; ConsistentRead?: boolean }> | undefined = {
        [this.name]: { Keys: itemKeys.slice(i, i + BATCH_GET_LIMIT) },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS)
          throw new Error('BatchGetItem left keys unprocessed after retries');
        if (attempt > 0) await backoff(attempt);
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        found.push(...(result.Responses?.[this.name] ?? []));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return found;
  }
}

async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(1000, 25 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** A list cursor is a gsi1 key: exactly these four string attributes, nothing else reaches DynamoDB. */
const GSI1_KEY = ['gsi1pk', 'gsi1sk', 'pk', 'sk'];

function decodeKeyCursor(cursor: string): Item {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && !Array.isArray(key)) {
      const entries = Object.entries(key);
      const names = entries.map(([name]) => name).sort();
      if (
        names.length === GSI1_KEY.length &&
        names.every((name, i) => name === GSI1_KEY[i]) &&
        entries.every(([, value]) => typeof value === 'string' && value.length > 0 && value.length <= 1024)
      ) {
        return key as Item;
      }
    }
  } catch {
    // fall through
  }
  throw new BadRequest('Invalid cursor', 'invalid_cursor');
}
