import type { CannedDeps } from '../domain/canned-replies.js';
import { DynamoCannedReplyStore } from '../storage/canned-reply-store.js';
import { Table } from '../storage/table.js';
import { config, documentClient, queryDeps } from './deps.js';

/** What the canned-replies routes need: the chat table's `CANNED` partition. Nothing is pushed. */
export const cannedDeps: CannedDeps = {
  ...queryDeps,
  cannedReplies: new DynamoCannedReplyStore(new Table(documentClient, config.tableName, Date.now)),
  maxReplies: config.cannedRepliesMax,
};
