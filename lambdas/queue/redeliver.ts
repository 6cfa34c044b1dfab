import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Frame } from '../protocol/frames.js';
import { Pusher } from '../push/pusher.js';
import type { RedeliveryMessage } from '../push/redelivery.js';
import { forgetGone, managementApi } from '../runtime/command-deps.js';
import { config } from '../runtime/deps.js';
import { logger } from '../runtime/logger.js';

// A pusher of its own, without redelivery: a frame that fails here goes back to SQS (below), not to the
// queue again, so the number of attempts stays SQS's maxReceiveCount.
const pusher = new Pusher(managementApi, { connectGraceMs: config.goneGraceMs, onGone: forgetGone });

/**
 * The redelivery queue's consumer: posts each queued frame again. A socket that is gone by now (410) is
 * forgotten and its frame dropped (the client catches up from history when it reconnects); a post that fails
 * again is reported as a batch item failure, so SQS offers it again after the visibility timeout, and after
 * the last attempt moves it to the dead-letter queue, which the `RedeliveryDeadLetters` alarm watches.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const { target, data } = JSON.parse(record.body) as RedeliveryMessage;
        const report = await pusher.send([target], JSON.parse(data) as Frame);
        if (report.failed > 0) batchItemFailures.push({ itemIdentifier: record.messageId });
      } catch (error) {
        logger.error('Redelivery failed', { messageId: record.messageId, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  logger.info('Redelivered', { frames: event.Records.length, failed: batchItemFailures.length });
  return { batchItemFailures };
};
