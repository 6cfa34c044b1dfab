/**
 * The proxy's half of the local stream: which items a write touches, and what they were before and after it.
 *
 * dynalite has no streams, so the proxy reads each item a write names before forwarding it and again after,
 * and reports the difference. Two writes of one item must not interleave between those reads, or a record's
 * old image would not be the previous record's new image: writes are serialized per item (not per table, so
 * unrelated writes still run concurrently), in the order they reached the proxy, which is then the order
 * the engine applies them and the order their records are reported.
 */
import { tableSchema } from '../lambdas/contract/table-schema.js';
import type { ItemChange, WireItem } from './stream-records.js';

/** The operations that can change items; everything else passes by untouched. */
export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** Reads one item as the engine holds it now (a consistent GetItem). */
export type ReadItem = (tableName: string, key: WireItem) => Promise<WireItem | undefined>;

interface Target {
  readonly tableName: string;
  readonly key: WireItem;
  readonly lock: string;
  /** A delete that answered 200 left no item: no need to read it again. */
  readonly removes: boolean;
}

/**
 * Watches the writes of some tables for their item changes. The proxy asks {@link watching} first, so with
 * no listener a write costs one boolean check.
 */
export class ChangeCapture {
  private readonly listeners = new Map<string, Set<(change: ItemChange) => void>>();
  /** The last write queued on each item: the next write of that item waits for it. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether any table is watched at all. */
  get watching(): boolean {
    return this.listeners.size > 0;
  }

  /** Calls `listener` with every change of `tableName`'s items, in the order applied; returns a detach. */
  watch(tableName: string, listener: (change: ItemChange) => void): () => void {
    let set = this.listeners.get(tableName);
    if (!set) {
      set = new Set();
      this.listeners.set(tableName, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(tableName) === set) this.listeners.delete(tableName);
    };
  }

  /**
   * Runs `write` (the request forwarded to the engine) with the watched items it names locked, and reports
   * their changes once it answered 200. A refused write (a failed condition, a validation error, an
   * operation the engine does not know) reports nothing; a write that left an item as it was reports
   * nothing for that item, as DynamoDB writes no stream record for it.
   */
  async around<T extends { readonly status: number }>(
    operation: string,
    request: Record<string, unknown>,
    write: () => Promise<T>,
    read: ReadItem,
  ): Promise<T> {
    const targets = targetsOf(operation, request).filter((t) => this.listeners.has(t.tableName));
    if (targets.length === 0) return write();
    const release = this.lock(targets.map((t) => t.lock));
    try {
      await release.ready;
      let before: (WireItem | undefined)[];
      try {
        before = await Promise.all(targets.map((t) => read(t.tableName, t.key)));
      } catch {
        // The engine refuses to read a key the write names (a key attribute missing or of the wrong type):
        // it refuses the write alike, with the error the caller should see, and nothing changes.
        return write();
      }
      const result = await write();
      if (result.status !== 200) return result;
      const after = await Promise.all(targets.map((t) => (t.removes ? undefined : read(t.tableName, t.key))));
      targets.forEach((target, i) => {
        const change = {
          tableName: target.tableName,
          keys: target.key,
          oldImage: before[i],
          newImage: after[i],
        };
        for (const listener of this.listeners.get(target.tableName) ?? []) listener(change);
      });
      return result;
    } finally {
      release.done();
    }
  }

  /**
   * Queues behind the last write of each item and becomes the last itself, synchronously: a write only ever
   * waits for writes queued before it, so writes of several items (a batch) cannot deadlock.
   */
  private lock(names: readonly string[]): { ready: Promise<unknown>; done: () => void } {
    const unique = [...new Set(names)];
    let done = () => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const ready = Promise.all(unique.map((name) => this.tails.get(name)));
    for (const name of unique) this.tails.set(name, mine);
    return {
      ready,
      done: () => {
        done();
        for (const name of unique) if (this.tails.get(name) === mine) this.tails.delete(name);
      },
    };
  }
}

/** The items a write names, by table, with the chat table's key attributes (the table with the stream). */
export function targetsOf(operation: string, request: Record<string, unknown>): Target[] {
  const targets: Target[] = [];
  const add = (tableName: unknown, key: unknown, removes = false) => {
    if (typeof tableName !== 'string' || !key || typeof key !== 'object') return;
    const item = keyOf(key as WireItem);
    targets.push({
      tableName,
      key: item,
      lock: `${tableName}\u0000${JSON.stringify(Object.values(item))}`,
      removes,
    });
  };
  switch (operation) {
    case 'PutItem':
      add(request.TableName, request.Item);
      break;
    case 'UpdateItem':
      add(request.TableName, request.Key);
      break;
    case 'DeleteItem':
      add(request.TableName, request.Key, true);
      break;
    case 'BatchWriteItem':
      for (const [tableName, writes] of Object.entries(
        (request.RequestItems ?? {}) as Record<string, unknown>,
      )) {
        for (const entry of Array.isArray(writes) ? writes : []) {
          const { PutRequest, DeleteRequest } = entry as {
            PutRequest?: { Item?: unknown };
            DeleteRequest?: { Key?: unknown };
          };
          // Not `removes`: a batch may answer 200 and leave a delete unprocessed.
          add(tableName, PutRequest?.Item ?? DeleteRequest?.Key);
        }
      }
      break;
    case 'TransactWriteItems':
      for (const entry of Array.isArray(request.TransactItems) ? request.TransactItems : []) {
        const { Put, Update, Delete } = entry as Record<
          string,
          { TableName?: unknown; Item?: unknown; Key?: unknown } | undefined
        >;
        if (Put) add(Put.TableName, Put.Item);
        if (Update) add(Update.TableName, Update.Key);
        if (Delete) add(Delete.TableName, Delete.Key, true);
      }
      break;
    default:
  }
  return targets;
}

/** The primary key out of an item or key, in the schema's attribute order. */
function keyOf(item: WireItem): WireItem {
  const key: WireItem = {};
  for (const { name } of [tableSchema.partitionKey, tableSchema.sortKey]) {
    const value = item[name];
    if (value !== undefined) key[name] = value;
  }
  return key;
}
