import { DynamoNoteStore } from '../storage/note-store.js';
import { Table } from '../storage/table.js';
import { config, documentClient } from './deps.js';

/**
 * The notes' store over the chat table, for handlers that only read notes: apart from `note-deps.ts`, so the
 * management API client stays out of their bundles.
 */
export const noteStore = new DynamoNoteStore(new Table(documentClient, config.tableName, Date.now));
