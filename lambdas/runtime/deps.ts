import type { ChatDeps } from '../domain/chat.js';
import { createDocumentClient, DynamoMeter } from '../storage/client.js';
import { DynamoStore } from '../storage/dynamo-store.js';
import { loadConfig } from './config.js';

/**
 * What read-only handlers need, created once per container. Handlers that change something import
 * `command-deps.ts` instead, which adds the push side; keeping the two apart keeps the management API client
 * out of the bundles that never push.
 */
export const config = loadConfig();
export const meter = new DynamoMeter();
export const documentClient = createDocumentClient(meter);
export const store = new DynamoStore(documentClient, {
  tableName: config.tableName,
  openRoomShards: config.openRoomShards,
  legacyOpenRoomsIndex: config.legacyOpenRoomsIndex,
});
export const queryDeps: ChatDeps = { store };
