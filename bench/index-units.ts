/**
 * Index write units, computed the way DynamoDB bills them, because dynalite reports base-table units only.
 *
 * DynamoDB's rules (Developer Guide, "Global secondary indexes", provisioned throughput considerations): a table
 * write costs an index write when it puts an entry (the item newly has the index keys), deletes one (the item
 * loses them, or is deleted), or changes an entry in place (a projected attribute changed, the keys did not);
 * a changed index key is a delete and a put. A write that changes no key or projected attribute costs the
 * index nothing, which is why a send that re-states an unchanged key is free there. Each of these is one write
 * unit per started 1 KB of the index entry: its index keys, the table's primary key, the projected attributes
 * and 100 bytes of overhead.
 *
 * Sizes follow "Item sizes and formats": attribute names count in UTF-8 bytes; strings and binaries by their
 * bytes; a number by one byte per two significant digits plus one; a boolean or null one byte; a list or map 3
 * bytes plus one per element plus what it holds; a set what its elements hold.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type WireItem = Record<string, AttributeValue>;

/** One index as the bill sees it: its key attributes (or how they follow from an item) and its projection. */
export interface IndexBill {
  readonly name: string;
  /** The entry's keys for this item, null when the item is not in the index. */
  readonly keysOf: (item: WireItem) => WireItem | null;
  /** `ALL`, or the attributes projected besides the keys (KEYS_ONLY: none). */
  readonly projection: 'ALL' | readonly string[];
}

const INDEX_ENTRY_OVERHEAD = 100;
const UNIT = 1024;
const TABLE_KEYS = ['pk', 'sk'] as const;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** The size of one attribute value, without its name. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M !== undefined)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + valueSize(v), 0);
  return 0;
}

/** An item's size as DynamoDB counts it: every attribute's name and value. */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueSize(value), 0);
}

/** The entry `item` has in `index`, or null. */
export function indexEntry(item: WireItem | undefined, index: IndexBill): WireItem | null {
  if (!item) return null;
  const indexKeys = index.keysOf(item);
  if (!indexKeys) return null;
  const entry: WireItem = { ...indexKeys };
  for (const name of TABLE_KEYS) if (item[name]) entry[name] = item[name];
  const projected = index.projection === 'ALL' ? Object.keys(item) : index.projection;
  for (const name of projected) if (item[name] && !(name in entry)) entry[name] = item[name];
  return entry;
}

export const entrySize = (entry: WireItem) => itemSize(entry) + INDEX_ENTRY_OVERHEAD;
const units = (entry: WireItem) => Math.ceil(entrySize(entry) / UNIT);

const same = (a: WireItem, b: WireItem) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const sorted = (item: WireItem) =>
  Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));

/** The index write units one table write costs, from the item before and after it. */
export function indexWriteUnits(
  before: WireItem | undefined,
  after: WireItem | undefined,
  index: IndexBill,
): number {
  const old = indexEntry(before, index);
  const next = indexEntry(after, index);
  if (!old && !next) return 0;
  if (!old && next) return units(next);
  if (old && !next) return units(old);
  if (!old || !next || same(old, next)) return 0;
  const oldKeys = index.keysOf(before as WireItem);
  const newKeys = index.keysOf(after as WireItem);
  if (JSON.stringify(oldKeys) !== JSON.stringify(newKeys)) return units(old) + units(next);
  return Math.max(units(old), units(next));
}

/** A table's items by primary key, as a full Scan returned them. */
export type Snapshot = ReadonlyMap<string, WireItem>;

export const keyOf = (item: WireItem) => `${item.pk?.S}\u0000${item.sk?.S}`;

/**
 * The index write units of everything that changed between two snapshots, per index. Exact when each item was
 * written at most once in between (true of a send and a read; a write that changed an item twice is counted
 * once, from its first state to its last).
 */
export function indexUnitsBetween(
  before: Snapshot,
  after: Snapshot,
  indexes: readonly IndexBill[],
): Record<string, number> {
  const total: Record<string, number> = Object.fromEntries(indexes.map((index) => [index.name, 0]));
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    for (const index of indexes) {
      total[index.name] = (total[index.name] ?? 0) + indexWriteUnits(before.get(key), after.get(key), index);
    }
  }
  return total;
}

/** An index keyed by two attributes of the item, as the table schema declares them. */
export function keyedIndex(
  name: string,
  pk: string,
  sk: string,
  projection: 'ALL' | 'KEYS_ONLY' | readonly string[],
): IndexBill {
  return {
    name,
    keysOf: (item) => {
      const p = item[pk];
      const s = item[sk];
      return p && s ? { [pk]: p, [sk]: s } : null;
    },
    projection: projection === 'KEYS_ONLY' ? [] : projection,
  };
}
