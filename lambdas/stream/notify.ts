import type { DynamoDBStreamEvent } from 'aws-lambda';
import { notifyChanges } from '../domain/email.js';
import { pusher, staffPresence } from '../runtime/command-deps.js';
import { config, store } from '../runtime/deps.js';
import { loadEmailConfig } from '../runtime/email-config.js';
import { emailStore } from '../runtime/email-deps.js';
import { logger } from '../runtime/logger.js';
import { customerMailer } from '../runtime/ses-mailer.js';
import { teamChannel } from '../runtime/team-channel.js';
import { notifyChangesOf } from '../storage/notify-changes.js';

/**
 * The table's stream, second consumer (the first is the queue's): tells the team of rooms opened while no
 * staff member is online, and emails staff replies to customers who are away (lambdas/domain/email.ts).
 * Off the request path, so a send never waits on SES, and SES being down delays an email, never a message.
 *
 * A failure (SES, SNS, DynamoDB) throws: the mapping splits the batch and retries it, and after its last
 * retry sends the batch's position to the on-failure queue that the `NotifyFailures` alarm watches. The team
 * notice's claim and the reply window are given back when their send fails, so a retry sends them; one that
 * was sent is claimed, so a retry never sends it twice.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  const settings = loadEmailConfig();
  const report = await notifyChanges(
    {
      rooms: store,
      emails: emailStore,
      presence: staffPresence,
      probe: pusher,
      team: teamChannel(settings),
      mailer: customerMailer(settings),
      settings: {
        publicUrl: settings.publicUrl,
        replyThrottleMs: settings.replyThrottleMs,
        presenceWindowMs: config.presenceWindowMs,
      },
    },
    notifyChangesOf(event.Records),
  );
  logger.info('Notifications', { records: event.Records.length, ...report });
};
