import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tableSchema } from '../contract/table-schema.js';
import { kindOf, UserKind } from '../domain/namespaces.js';
import type { RefreshRecord, SessionStore } from '../domain/sessions.js';
import { keys } from './keys.js';
import { applied, conditionFailed, type Item, type Table } from './table.js';

const TTL = tableSchema.timeToLiveAttribute;

/**
 * Sessions' refresh secrets and identity tokens' `jti`s, as single items with the table's TTL. A refresh secret
 * is stored only as its SHA-256 hash (`REFRESH#<hash>`); its first use (the rotation that replaces it) records
 * when, and a use later than the grace after that is refused by the same conditional write. DynamoDB deletes
 * an expired item within days, so every read decides by the item's own `ttl`, never by its absence.
 */
export class DynamoSessionStore implements SessionStore {
  constructor(private readonly table: Table) {}

  async putRefresh(secretHash: string, record: RefreshRecord, expiresAt: number): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...keys.refresh(secretHash),
          type: 'refresh',
          user_id: record.userId,
          kind: record.kind,
          [TTL]: expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /**
   * One conditional update: it records the first use (`used_at`, epoch ms, kept by later uses), shortens the
   * item's life to the grace, and reads the record back; a secret that is unknown, expired, or first used
   * longer than `graceMs` ago fails its condition.
   */
  async useRefresh(secretHash: string, nowMs: number, graceMs: number): Promise<RefreshRecord | null> {
    let attributes: Item | undefined;
    try {
      ({ Attributes: attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.refresh(secretHash),
          UpdateExpression: 'SET used_at = if_not_exists(used_at, :now), #ttl = :graceEnd',
          ConditionExpression:
            'attribute_exists(pk) AND #ttl > :nowSeconds AND (attribute_not_exists(used_at) OR used_at > :since)',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: {
            ':now': nowMs,
            ':nowSeconds': Math.floor(nowMs / 1000),
            ':since': nowMs - graceMs,
            ':graceEnd': Math.ceil((nowMs + graceMs) / 1000) + 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (conditionFailed(error)) return null;
      throw error;
    }
    const userId = String(attributes?.user_id ?? '');
    // The id's namespace decides the kind: the session issuer signs guest_ and site_ ids only.
    const kind = kindOf(userId);
    if (kind === UserKind.account) return null;
    return { userId, kind };
  }

  async deleteRefresh(secretHash: string): Promise<void> {
    await this.table.db.send(
      new DeleteCommand({ TableName: this.table.name, Key: keys.refresh(secretHash) }),
    );
  }

  /**
   * A conditional put; a record whose `ttl` has passed (not yet deleted by DynamoDB) counts as gone. The item
   * carries a nonce of this call's: when the put applied but its answer was lost, the SDK's retry fails its
   * condition on our own claim, and a strongly consistent read of the nonce tells a first use from a replay
   * (one GetItem, only on a refused put).
   */
  async claimIdentityJti(jti: string, expiresAt: number): Promise<boolean> {
    const nonce = randomUUID();
    const claimed = await applied(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...keys.identityJti(jti), type: 'identity_jti', nonce, [TTL]: expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: { ':now': this.table.nowSeconds() },
        }),
      ),
    );
    if (claimed) return true;
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.identityJti(jti), ConsistentRead: true }),
    );
    return Item?.nonce === nonce;
  }
}
