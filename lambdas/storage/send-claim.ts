import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.js';
import { conditionFailed, type Item, type Table } from './table.js';

/**
 * The claim on a `client_message_id`, after Powertools' idempotency record: `IN_PROGRESS` while its send has
 * no id yet, `COMPLETED` once the room's sequence gave it one (whether or not the message is stored yet: a
 * resend finds the id here and stores the message under it if it is missing).
 */
export const ClaimStatus = { inProgress: 'IN_PROGRESS', completed: 'COMPLETED' } as const;
export type ClaimStatus = (typeof ClaimStatus)[keyof typeof ClaimStatus];

export interface SendClaim {
  /** Who holds it: the token the holder also writes on the room item and on the message. */
  readonly token: string;
  readonly status: ClaimStatus;
  /** The message id, once taken. */
  readonly seq: number | null;
  /** Epoch seconds until which an `IN_PROGRESS` holder may still be running. */
  readonly leaseUntil: number;
}

export interface ClaimKey {
  readonly roomId: string;
  readonly senderId: string;
  readonly clientMessageId: string;
}

/** The claims' DynamoDB calls: each is one conditional write or one strongly consistent read. */
export class ClaimStore {
  constructor(
    private readonly table: Table,
    /** How long a claim is kept, in seconds: a resend within it finds the stored message. */
    private readonly lifetime: number,
    /** How long an `IN_PROGRESS` claim keeps a concurrent copy waiting, in seconds (the Lambda timeout and more). */
    private readonly lease: number,
  ) {}

  /**
   * Claims the id for `token`, unless an unexpired claim exists: then that claim is returned and nothing is
   * written. Nothing is consumed before this is won.
   */
  async claim(key: ClaimKey, token: string): Promise<SendClaim | null> {
    const now = this.table.nowSeconds();
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...this.key(key),
            type: 'claim',
            token,
            status: ClaimStatus.inProgress,
            lease_until: now + this.lease,
            ttl: now + this.lifetime,
          },
          // Reads check ttl because DynamoDB deletes expired items late.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return null;
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, this.key(key));
      // Gone between the refusal and the read (expired and deleted): claim again.
      return seen ? toClaim(seen) : this.claim(key, token);
    }
  }

  async get(key: ClaimKey): Promise<SendClaim | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(key), ConsistentRead: true }),
    );
    return Item ? toClaim(Item) : null;
  }

  /** Records the id the holder took. Repeating it is harmless; another holder's claim is left alone. */
  async complete(key: ClaimKey, token: string, seq: number): Promise<void> {
    await this.table.db
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(key),
          UpdateExpression: 'SET #status = :completed, seq = :seq',
          ConditionExpression: 'attribute_exists(pk) AND #token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':completed': ClaimStatus.completed,
            ':seq': seq,
            ':token': token,
          },
        }),
      )
      .catch((error: unknown) => {
        if (!conditionFailed(error)) throw error;
      });
  }

  /**
   * Takes over an `IN_PROGRESS` claim whose holder's lease ran out before it took an id (it died): true when
   * this caller now holds it under `token`.
   */
  async takeOver(key: ClaimKey, from: string, token: string): Promise<boolean> {
    const now = this.table.nowSeconds();
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(key),
          UpdateExpression: 'SET #token = :token, lease_until = :lease',
          ConditionExpression: '#token = :from AND #status = :inProgress',
          ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
          ExpressionAttributeValues: {
            ':token': token,
            ':from': from,
            ':lease': now + this.lease,
            ':inProgress': ClaimStatus.inProgress,
          },
        }),
      );
      return true;
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      return false;
    }
  }

  /**
   * The holder failed after taking its id and stops: a resend need not wait out its lease before storing the
   * message under that id.
   */
  async abandon(key: ClaimKey, token: string): Promise<void> {
    await this.table.db
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(key),
          UpdateExpression: 'SET lease_until = :zero',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':zero': 0, ':token': token },
        }),
      )
      .catch((error: unknown) => {
        if (!conditionFailed(error)) throw error;
      });
  }

  /** Gives up a claim that took no id (the room refused the send), so the id can be used again. */
  async release(key: ClaimKey, token: string): Promise<void> {
    await this.table.db
      .send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: this.key(key),
          ConditionExpression: '#token = :token AND #status = :inProgress',
          ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
          ExpressionAttributeValues: { ':token': token, ':inProgress': ClaimStatus.inProgress },
        }),
      )
      .catch((error: unknown) => {
        if (!conditionFailed(error)) throw error;
      });
  }

  private key(key: ClaimKey) {
    return keys.claim(key.roomId, key.senderId, key.clientMessageId);
  }
}

function toClaim(item: Item): SendClaim {
  const completed = item.status === ClaimStatus.completed || item.seq !== undefined;
  return {
    // Claims written before tokens existed are completed ones.
    token: typeof item.token === 'string' ? item.token : '',
    status: completed ? ClaimStatus.completed : ClaimStatus.inProgress,
    seq: item.seq === undefined ? null : Number(item.seq),
    leaseUntil: Number(item.lease_until ?? 0),
  };
}
