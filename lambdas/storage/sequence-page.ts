import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { HistoryRequest } from '../domain/ports.js';
import { MAX_SEQ, pad } from './keys.js';
import type { Item, Table } from './table.js';

/** Items numbered 1, 2, 3, … under one prefix of a room's partition: its messages (`MSG#`) or its notes (`NOTE#`). */
export interface Sequence {
  readonly pk: string;
  readonly prefix: string;
}

/**
 * One page of a numbered sequence, as history reads it: `after` an id (oldest first), `before` one (the
 * newest of them first read, returned oldest first), or the newest; `hasMore` says whether more lie beyond
 * the page in the direction it was read. One Query (following `LastEvaluatedKey` until the page is full).
 */
export async function sequencePage<T>(
  table: Table,
  sequence: Sequence,
  request: HistoryRequest,
  read: (item: Item) => T,
): Promise<{ readonly items: T[]; readonly hasMore: boolean }> {
  const { limit, before, after } = request;
  const { pk, prefix } = sequence;
  const sk = (seq: number) => `${prefix}${pad(Math.min(seq, MAX_SEQ))}`;
  const forward = after !== undefined;
  let range: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>;
  if (after !== undefined) {
    range = {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':pk': pk, ':lo': sk(after + 1), ':hi': sk(MAX_SEQ) },
    };
  } else if (before !== undefined) {
    if (before <= 1) return { items: [], hasMore: false };
    range = {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':pk': pk, ':lo': sk(1), ':hi': sk(before - 1) },
    };
  } else {
    range = {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    };
  }
  const items = await table.queryAll({ ...range, ScanIndexForward: forward }, limit + 1);
  const page = items.slice(0, limit).map(read);
  return { items: forward ? page : page.reverse(), hasMore: items.length > limit };
}
