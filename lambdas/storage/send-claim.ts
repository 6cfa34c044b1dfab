import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.js';
import { applied, type Item, type Table } from './table.js';

/**
 * The claim on a `client_message_id`, after Powertools' idempotency record. It is written once, `IN_PROGRESS`,
 * and a send that succeeds never writes it again (that would be a write unit per message): the id it took is
 * found from its token, which the room item keeps for its last sends and the message item carries. It
 * becomes `COMPLETED`, with the id, when a send fails after taking its id (so a resend stores the message
 * under it) or when a resend had to look the id up (so the next one need not).
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
  /** The holder's `created_at`, which its message carries too: where a search for that message may stop. */
  readonly createdAt: string;
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
  async claim(key: ClaimKey, token: string, createdAt: string): Promise<SendClaim | null> {
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
            created_at: createdAt,
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
      if (!seen) return this.claim(key, token, createdAt);
      // Our own put, applied by an attempt whose answer was lost and refused when the SDK retried it: held.
      if (seen.token === token) return null;
      return toClaim(seen);
    }
  }

  async get(key: ClaimKey): Promise<SendClaim | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(key), ConsistentRead: true }),
    );
    return Item ? toClaim(Item) : null;
  }

  /**
   * Records the id the holder took; `stopped`: the holder failed and stops, so a resend need not wait out its
   * lease before storing the message under that id. Repeating it is harmless; another holder's claim is left
   * alone.
   */
  async complete(key: ClaimKey, token: string, seq: number, stopped = false): Promise<void> {
    await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(key),
          UpdateExpression: `SET #status = :completed, seq = :seq${stopped ? ', lease_until = :zero' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND #token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':completed': ClaimStatus.completed,
            ':seq': seq,
            ':token': token,
            ...(stopped ? { ':zero': 0 } : {}),
          },
        }),
      ),
    );
  }

  /**
   * Takes over an `IN_PROGRESS` claim whose holder's lease ran out before it took an id (it died): true when
   * this caller now holds it under `token`.
   */
  async takeOver(key: ClaimKey, from: string, token: string, createdAt: string): Promise<boolean> {
    const now = this.table.nowSeconds();
    return applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(key),
          UpdateExpression: 'SET #token = :token, lease_until = :lease, created_at = :at',
          ConditionExpression: '#token = :from AND #status = :inProgress',
          ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
          ExpressionAttributeValues: {
            ':token': token,
            ':from': from,
            ':lease': now + this.lease,
            ':at': createdAt,
            ':inProgress': ClaimStatus.inProgress,
          },
        }),
      ),
    );
  }

  /** Gives up a claim that took no id (the room refused the send), so the id can be used again. */
  async release(key: ClaimKey, token: string): Promise<void> {
    await applied(
      this.table.db.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: this.key(key),
          ConditionExpression: '#token = :token AND #status = :inProgress',
          ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
          ExpressionAttributeValues: { ':token': token, ':inProgress': ClaimStatus.inProgress },
        }),
      ),
    );
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
    createdAt: String(item.created_at ?? ''),
  };
}
