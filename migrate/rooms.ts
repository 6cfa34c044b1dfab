/**
 * `npm run migrate:rooms -- --table <TableName> --shards <openRoomShards>`: moves the rooms written before the
 * small open-rooms index onto it, between the two deploys of docs/deploy.md ("Moving onto gsi3"). Uses the
 * caller's AWS credentials and region (`AWS_PROFILE`, `AWS_REGION`); `AWS_ENDPOINT_URL_DYNAMODB` points it at
 * a local table. Safe to run again: each change is conditional.
 */
import { parseArgs } from 'node:util';
import { createDocumentClient, DynamoMeter } from '../lambdas/storage/client.js';
import { migrateRoomIndexes } from '../lambdas/storage/index-migration.js';
import { Table } from '../lambdas/storage/table.js';

const { values } = parseArgs({
  options: { table: { type: 'string' }, shards: { type: 'string', default: '1' } },
});
const shards = Number(values.shards);
if (!values.table || !Number.isInteger(shards) || shards < 1) {
  console.error('usage: npm run migrate:rooms -- --table <TableName> --shards <openRoomShards, as deployed>');
  process.exit(2);
}
const table = new Table(createDocumentClient(new DynamoMeter()), values.table, Date.now);
const counts = await migrateRoomIndexes(table, shards, (line) => console.log(line));
console.log(
  `done: ${counts.rooms} rooms, ${counts.indexed} given gsi3 keys, ${counts.listed} listed by a customer entry, ` +
    `${counts.closed} listed as closed`,
);
