/**
 * The one definition of the chat table's key schema, indexes and TTL attribute.
 *
 * The CDK data construct builds the DynamoDB table from it and the local runtime issues `CreateTable` from it,
 * so the deployed table and the embedded one cannot drift. Attribute names here are generic on purpose: what
 * they hold is owned by `lambdas/storage`, the only module that reads or writes the table.
 */
export const tableSchema = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      /** Customer's rooms (`CUSTOMER#uid`) and a staff member's joined rooms (`STAFF#uid`), newest first. */
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'ALL',
    },
    {
      /**
       * Open rooms (`OPEN#shard`) by the hour of their last activity (each room's hours start at a minute of its
       * own), then id: a message moves its room's entry only when that hour changes, and the entry holds the keys
       * alone (the list reads the rooms in a batch). When a room closes, the same write moves its keys to the
       * closed rooms (`CLOSED#shard`) by the time it closed, then id: the staff's list of past conversations.
       */
      indexName: 'gsi3',
      partitionKey: { name: 'gsi3pk', type: 'S' },
      sortKey: { name: 'gsi3sk', type: 'S' },
      projection: 'KEYS_ONLY',
    },
  ],
  /** Epoch seconds; connection, subscription, presence, ticket and idempotency items carry it. */
  timeToLiveAttribute: 'ttl',
} as const;

/**
 * The open-rooms index this one replaced (projection ALL, rewritten by every write of a room). A deployed stack
 * keeps it while the new one is filled (context `legacyOpenRoomsIndex`, docs/deploy.md): CloudFormation
 * creates or deletes one index per update, and cannot change a projection in place.
 */
export const legacyOpenRoomsIndex = {
  indexName: 'gsi2',
  partitionKey: { name: 'gsi2pk', type: 'S' },
  sortKey: { name: 'gsi2sk', type: 'S' },
  projection: 'ALL',
} as const;

export type TableSchema = typeof tableSchema;
export type IndexName = TableSchema['globalSecondaryIndexes'][number]['indexName'];
