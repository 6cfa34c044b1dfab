import type { DynamoDBStreamEvent } from 'aws-lambda';
import { QueueSummaries } from '../push/queue-summaries.js';
import { pusher } from '../runtime/command-deps.js';
import { store } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';
import { roomChangesOf } from '../storage/stream-changes.js';

const summaries = new QueueSummaries(store, pusher);

/**
 * The table's stream, batched by the event source mapping (about one batch a second per shard): one `queue`
 * frame per staff socket that follows the queue, with a summary of each room the batch changed.
 *
 * A failure to read (the followers, a room) throws, so the mapping splits the batch and retries it, and after
 * its last retry sends the batch's position to the on-failure queue that the `QueueSummaryFailures` alarm
 * watches; summaries are idempotent (the client keeps the highest `version`), so a retried batch may repeat
 * them, never skip one. A post that fails is queued for redelivery by the pusher, not retried with the batch.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  const report = await summaries.publish(roomChangesOf(event.Records));
  logger.info('Queue summaries', {
    records: event.Records.length,
    rooms: report.rooms,
    followers: report.followers,
    frames: report.frames,
    failed: report.failed,
  });
};
