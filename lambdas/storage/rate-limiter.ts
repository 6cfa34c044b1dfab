import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LimitVerdict, LimitWindow, RateLimiter } from '../domain/ports.js';
import { keys } from './keys.js';

/** Counter items outlive their window by this much, so a late TTL never matters and reads never see them. */
const GRACE_SECONDS = 60;

/**
 * Rate limits as counter items in the chat table: one conditional `UpdateItem` per use, whatever the
 * number of windows, so a limit costs one write unit.
 *
 * All windows of a limit share one item, keyed by the start of the longest window (which every other one
 * divides). The item holds a count per slot of each window: for 20 per 10 s and 60 per 60 s, one `c60_0`
 * and six `c10_<slot>`. The update adds one to the current slot of every window on condition that none of
 * them is full, so a refused use counts nowhere. A refusal reports the item it saw
 * (`ReturnValuesOnConditionCheckFailure`), from which the time until the full windows roll over follows.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async take(
    name: string,
    subject: string,
    windows: readonly LimitWindow[],
    nowMs: number,
  ): Promise<LimitVerdict> {
    const now = Math.floor(nowMs / 1000);
    const longest = Math.max(...windows.map((w) => w.seconds));
    const start = now - (now % longest);
    const slots = windows.map((window, i) => ({
      window,
      attribute: `c${window.seconds}_${Math.floor((now - start) / window.seconds)}`,
      name: `#c${i}`,
      max: `:m${i}`,
    }));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.limit(name, subject, start),
          UpdateExpression: `ADD ${slots.map((s) => `${s.name} :one`).join(', ')} SET #ttl = :ttl`,
          ConditionExpression: slots
            .map((s) => `(attribute_not_exists(${s.name}) OR ${s.name} < ${s.max})`)
            .join(' AND '),
          ExpressionAttributeNames: {
            '#ttl': 'ttl',
            ...Object.fromEntries(slots.map((s) => [s.name, s.attribute])),
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':ttl': start + longest + GRACE_SECONDS,
            ...Object.fromEntries(slots.map((s) => [s.max, s.window.max])),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client converts responses, not errors: the item arrives in DynamoDB's wire form.
      const seen = error.Item ? unmarshall(error.Item) : {};
      const full = slots.filter((s) => Number(seen[s.attribute] ?? 0) >= s.window.max);
      // Every full window must roll over; without the item (an emulator that omits it), the longest one.
      const waits = (full.length > 0 ? full : slots.filter((s) => s.window.seconds === longest)).map(
        (s) => s.window.seconds - ((now - start) % s.window.seconds),
      );
      return { allowed: false, retryAfterSeconds: Math.max(1, ...waits) };
    }
  }
}
