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
      /** Open rooms by last activity (`OPEN#shard`); the keys are removed when a room closes. */
      indexName: 'gsi2',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  /** Epoch seconds; connection, subscription, presence, ticket and idempotency items carry it. */
  timeToLiveAttribute: 'ttl',
} as const;

export type TableSchema = typeof tableSchema;
export type IndexName = TableSchema['globalSecondaryIndexes'][number]['indexName'];
