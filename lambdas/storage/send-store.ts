import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AppendMessageInput, AppendResult, ChatStore } from '../domain/ports.js';
import type { Message, Room } from '../domain/types.js';
import { messageItem, preview, roomIdOf, shownText, toMessage, toRoom, toStringArray } from './items.js';
import { keys } from './keys.js';
import type { OpenRooms } from './open-rooms.js';
import type { RoomStore } from './room-store.js';
import { type ClaimKey, ClaimStore, type SendClaim } from './send-claim.js';
import { applied, conditionFailed, type Item, type Table } from './table.js';

/**
 * The room item remembers the tokens of its last sends (`claim_0` oldest … `claim_3` newest), so a retried
 * sequence update that already applied is refused and told its id, even with a few other sends in between.
 */
const RECENT_CLAIMS = 4;
const recentClaim = (i: number) => `claim_${i}`;
const NO_CLAIM = '-';
/** How far a search for a claimed message looks past the claim's time (a send takes its id within this). */
const SEARCH_MARGIN_MS = 60_000;
const SEARCH_PAGE = 25;
/** How long a concurrent copy of a send waits for the copy that holds the claim, before answering "in progress". */
const WAIT_FOR_HOLDER_MS = [20, 40, 80, 160, 320, 640] as const;

type Taken =
  | {
      readonly kind: 'taken';
      readonly seq: number /** The room before the update; null when a retry found it applied. */;
      readonly old: Item | null;
    }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'closed' }
  /** Every attempt failed; `unapplied` when the room item shows none of them took an id. */
  | { readonly kind: 'failed'; readonly error: unknown; readonly unapplied: boolean };

/**
 * Sends, after Powertools' idempotency flow: claim the `client_message_id` (a conditional put, `IN_PROGRESS`),
 * take the room's next id with an update that is idempotent per claim (the claim's token on the room item),
 * store the message carrying the token. A resend finds the id on the room item (its last sends' tokens), or
 * from the message that carries the token; so a send that succeeds writes its claim once. Nothing is
 * consumed before the claim is won,
 * so a resent copy never burns an id; a send without a `client_message_id` has a token of its own, so the
 * SDK's retry of an update that applied does not burn one either.
 *
 * A failure after the id was taken leaves the id to the claim (a resend stores the message under it) and marks
 * it on the room as a hole, with the room's preview put back, so previews and unread counts only count stored
 * messages.
 */
export class SendStore implements Pick<ChatStore, 'appendMessage'> {
  private readonly claims: ClaimStore;

  constructor(
    private readonly table: Table,
    /** A staff member who replies joins the room; their membership is the room store's. */
    private readonly rooms: Pick<RoomStore, 'putMember' | 'isListedMember' | 'addStaff' | 'undoJoin'>,
    /** The open-rooms index, whose attributes a send re-states. */
    private readonly openRooms: OpenRooms,
    /** How long a client_message_id claim is kept, in seconds. */
    claimLifetime: number,
    /** How long a claim's holder may still be running, in seconds. @default 30 */
    claimLease = 30,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.claims = new ClaimStore(table, claimLifetime, claimLease);
  }

  async appendMessage(input: AppendMessageInput): Promise<AppendResult> {
    const token = randomBytes(12).toString('base64url');
    const claimKey: ClaimKey | null =
      input.clientMessageId === null
        ? null
        : { roomId: input.roomId, senderId: input.sender.userId, clientMessageId: input.clientMessageId };
    if (claimKey) {
      const held = await this.claims.claim(claimKey, token, input.createdAt);
      if (held) return this.resume(input, claimKey, held, token);
    }
    return this.send(input, claimKey, token);
  }

  /** The claim is ours (or there is none): take the id, store the message. */
  private async send(
    input: AppendMessageInput,
    claimKey: ClaimKey | null,
    token: string,
  ): Promise<AppendResult> {
    const { roomId, sender } = input;
    const taken = await this.takeSeq(input, token);
    if (taken.kind === 'failed') {
      // No id was taken: free the claim so a resend need not wait out the lease (best effort; the lease
      // covers a failure here too).
      if (claimKey && taken.unapplied) await this.claims.release(claimKey, token).catch(() => undefined);
      throw taken.error;
    }
    if (taken.kind !== 'taken') {
      if (claimKey) await this.claims.release(claimKey, token);
      return taken;
    }
    const { seq, old } = taken;
    const isStaff = sender.role === 'staff';
    const message = messageOf(input, seq);
    let joinedStaff = false;
    let memberRecorded = false;
    let stored: Message;
    try {
      // Without the room as it was (a retry found the update applied), the member item tells whether the join
      // was finished.
      joinedStaff =
        isStaff &&
        (old
          ? !toStringArray(old.staff_ids).includes(sender.userId)
          : !(await this.rooms.isListedMember(roomId, sender.userId)));
      if (joinedStaff) await this.rooms.putMember(roomId, sender.userId, input.createdAt);
      memberRecorded = true;
      stored = (await this.putMessage(message, token, old ? staffCountAfter(old, isStaff) : undefined))
        .message;
    } catch (error) {
      // The error that counts is the one above; the rest is best effort while DynamoDB is failing: the claim
      // keeps the id for a resend, and the room counts it as a hole until then.
      // A join whose membership was not recorded is undone, so the sender's next message joins again.
      await Promise.allSettled([
        this.markHole(message, token, old),
        claimKey ? this.claims.complete(claimKey, token, seq, true) : undefined,
        joinedStaff && !memberRecorded ? this.rooms.undoJoin(roomId, sender.userId) : undefined,
      ]);
      throw error;
    }
    if (!joinedStaff) return { kind: 'created', message: stored, joinedStaff, room: null };
    return {
      kind: 'created',
      message: stored,
      joinedStaff,
      room: old ? roomAfter(old, stored) : await this.room(roomId),
    };
  }

  /**
   * A copy of this send holds the claim. With an id it is a resend: the stored message, or the message stored
   * now under that id if the holder failed before storing it. Without one, the holder is still running (wait
   * a little, then "in progress"), or it took an id the room item still remembers, or it died before taking
   * one (its lease ran out: take the claim over).
   */
  private async resume(
    input: AppendMessageInput,
    claimKey: ClaimKey,
    held: SendClaim,
    token: string,
  ): Promise<AppendResult> {
    let claim: SendClaim | null = held;
    for (const wait of [...WAIT_FOR_HOLDER_MS, null]) {
      // Released (the room refused its holder) or expired: claim it afresh.
      if (!claim) return this.appendMessage(input);
      let seq = claim.seq;
      if (seq === null) {
        const roomItem = await this.roomItem(input.roomId);
        if (!roomItem || (input.ownerId !== undefined && roomItem.customer_id !== input.ownerId)) {
          return { kind: 'not_found' };
        }
        seq = seqOfClaim(roomItem, claim.token);
        if (seq === null) {
          seq = await this.findByToken(roomItem, claim);
          // Searched for once: the next resend finds it on the claim.
          if (seq !== null) await this.claims.complete(claimKey, claim.token, seq);
        }
      }
      const holderStopped = claim.leaseUntil < this.table.nowSeconds();
      if (seq !== null) {
        const finished = await this.finish(input, claim.token, seq, holderStopped);
        if (finished) return finished;
      } else if (
        holderStopped &&
        (await this.claims.takeOver(claimKey, claim.token, token, input.createdAt))
      ) {
        return this.send(input, claimKey, token);
      }
      if (wait === null) break;
      await this.sleep(wait);
      claim = await this.claims.get(claimKey);
    }
    return { kind: 'in_progress' };
  }

  /**
   * A resend of a send that has its id: the stored message. A missing message is stored now under that id
   * once its holder has stopped (it failed, or its lease ran out); before that, null: wait for the holder.
   */
  private async finish(
    input: AppendMessageInput,
    token: string,
    seq: number,
    holderStopped: boolean,
  ): Promise<AppendResult | null> {
    const { roomId, sender } = input;
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.message(roomId, seq), ConsistentRead: true }),
    );
    let kind: 'duplicate' | 'completed' = 'duplicate';
    let message = Item ? toMessage(Item) : null;
    if (!message && !holderStopped) return null;
    // The holder's put applied but every answer was lost, so it stopped and counted the id as a hole: the
    // message is there, so it is no hole (idempotent; only on this rare path).
    if (message && holderStopped && Item?.claim === token) await this.fillHole(message);
    if (!message) {
      const stored = await this.putMessage(messageOf(input, seq), token);
      message = stored.message;
      if (stored.wrote) {
        kind = 'completed';
        await this.fillHole(message);
      }
    }
    // A staff sender's first send may have failed before their membership was recorded (or undone the join):
    // finish the join.
    if (sender.role === 'staff' && !(await this.rooms.isListedMember(roomId, sender.userId))) {
      const joined = await this.rooms.addStaff(roomId, sender.userId, input.createdAt);
      if (joined.kind === 'changed') return { kind, message, joinedStaff: true, room: joined.room };
    }
    return { kind, message, joinedStaff: false, room: null };
  }

  /**
   * Takes the room's next id for `token`, refusing a closed room or another customer's room in the same
   * write. The condition also refuses a token the room already took an id for: the SDK retrying an update
   * whose answer was lost learns its id from the refusal instead of taking a second one.
   */
  private async takeSeq(input: AppendMessageInput, token: string): Promise<Taken> {
    const { roomId, sender } = input;
    const isStaff = sender.role === 'staff';
    const ring = Array.from({ length: RECENT_CLAIMS }, (_, i) => i);
    const names: Record<string, string> = {
      '#reads': 'reads',
      '#me': keys.reader(sender.userId),
      '#status': 'status',
      ...Object.fromEntries(ring.map((i) => [`#c${i}`, recentClaim(i)])),
      // A staff send is counted, and its sender's count at their pointer (now this message) moves with it.
      ...(isStaff ? { '#sc': keys.staffCount, '#myCount': keys.staffCountAtRead(sender.userId) } : {}),
    };
    const index = this.openRooms.restated(roomId, input.createdAt);
    const shift = ring
      .slice(0, -1)
      .map((i) => `#c${i} = if_not_exists(#c${i + 1}, :none)`)
      .concat(`#c${RECENT_CLAIMS - 1} = :token`);
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression:
            [
              'SET seq = seq + :one, last_message_id = seq + :one, #reads.#me = seq + :one',
              'last_activity_at = :at, last_message = :preview',
              ...(isStaff
                ? ['#sc = if_not_exists(#sc, :zero) + :one', '#myCount = if_not_exists(#sc, :zero) + :one']
                : []),
              ...index.clauses,
              ...shift,
            ].join(', ') + (isStaff ? ' ADD version :one, staff_ids :me_set' : ' ADD version :one'),
          ConditionExpression:
            'attribute_exists(pk) AND #status = :open' +
            (input.ownerId === undefined ? '' : ' AND customer_id = :owner') +
            ` AND NOT (${ring.map((i) => `#c${i} = :token`).join(' OR ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':one': 1,
            ':at': input.createdAt,
            ':open': 'open',
            ':token': token,
            ':none': NO_CLAIM,
            ...index.values,
            ':preview': {
              sender_id: sender.userId,
              sender_role: sender.role,
              preview: preview(shownText(input)),
              created_at: input.createdAt,
            },
            ...(isStaff ? { ':me_set': new Set([sender.userId]), ':zero': 0 } : {}),
            ...(input.ownerId === undefined ? {} : { ':owner': input.ownerId }),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const old = Attributes as Item;
      return { kind: 'taken', seq: Number(old.seq) + 1, old };
    } catch (error) {
      if (!conditionFailed(error)) {
        // Every attempt failed, yet one may have applied: the room item says so if it did.
        const seen = await this.roomItem(roomId).catch(() => undefined);
        const seq = seen ? seqOfClaim(seen, token) : null;
        if (seq === null) return { kind: 'failed', error, unapplied: seen !== undefined };
        return { kind: 'taken', seq, old: null };
      }
      const seen = await this.table.itemSeenBy(error, keys.room(roomId));
      if (seen === null || (input.ownerId !== undefined && seen.customer_id !== input.ownerId)) {
        return { kind: 'not_found' };
      }
      const seq = seqOfClaim(seen, token);
      if (seq !== null) return { kind: 'taken', seq, old: null };
      return { kind: 'closed' };
    }
  }

  /**
   * Stores a message once, carrying its claim's token. A refusal that finds the same token is our own write
   * (the SDK retried a put that applied); another token means the message was stored by another copy.
   */
  private async putMessage(
    message: Message,
    token: string,
    /** The room's count of staff messages through this one, when known (see `markRead`). */
    staffCount?: number,
  ): Promise<{ message: Message; wrote: boolean }> {
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...messageItem(message),
            claim: token,
            ...(staffCount === undefined ? {} : { [keys.staffCount]: staffCount }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { message, wrote: true };
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, keys.message(message.roomId, message.id));
      if (!seen) throw error;
      return { message: toMessage(seen), wrote: seen.claim === token };
    }
  }

  /**
   * A send took `message.id` and could not store it: the room counts it as a hole, and if it is still the
   * room's newest send, the preview goes back to the message before it.
   */
  private async markHole(message: Message, token: string, old: Item | null): Promise<void> {
    const key = keys.room(message.roomId);
    const hole = new Set([message.id]);
    // A staff send's id is counted among the staff messages already: its hole is marked as a staff one too.
    const isStaff = message.senderRole === 'staff';
    const add = isStaff ? 'ADD holes :hole, #sh :hole, version :one' : 'ADD holes :hole, version :one';
    const staffName: Record<string, string> = isStaff ? { '#sh': keys.staffHoles } : {};
    if (old) {
      const hadPreview = old.last_message !== undefined;
      const restored = await applied(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key,
            UpdateExpression: hadPreview
              ? `${add} SET last_message_id = :previousId, last_message = :previous`
              : `${add} SET last_message_id = :previousId REMOVE last_message`,
            ConditionExpression: '#newest = :token',
            ExpressionAttributeNames: { '#newest': recentClaim(RECENT_CLAIMS - 1), ...staffName },
            ExpressionAttributeValues: {
              ':hole': hole,
              ':one': 1,
              ':token': token,
              ':previousId': Number(old.last_message_id ?? old.seq ?? 0),
              ...(hadPreview ? { ':previous': old.last_message } : {}),
            },
          }),
        ),
      );
      if (restored) return;
    }
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key,
        UpdateExpression: add,
        ...(isStaff ? { ExpressionAttributeNames: staffName } : {}),
        ExpressionAttributeValues: { ':hole': hole, ':one': 1 },
      }),
    );
  }

  /** A resend stored a message under its id: it is no hole, and it is the preview if nothing newer is. */
  private async fillHole(message: Message): Promise<void> {
    const key = keys.room(message.roomId);
    const hole = new Set([message.id]);
    const isStaff = message.senderRole === 'staff';
    const remove = isStaff ? 'DELETE holes :hole, #sh :hole' : 'DELETE holes :hole';
    const staffName = isStaff ? { ExpressionAttributeNames: { '#sh': keys.staffHoles } } : {};
    const previewed = await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key,
          UpdateExpression: `${remove} SET last_message_id = :id, last_message = :preview ADD version :one`,
          ConditionExpression: 'attribute_exists(pk) AND last_message_id < :id',
          ...staffName,
          ExpressionAttributeValues: {
            ':hole': hole,
            ':one': 1,
            ':id': message.id,
            ':preview': {
              sender_id: message.senderId,
              sender_role: message.senderRole,
              preview: preview(shownText(message)),
              created_at: message.createdAt,
            },
          },
        }),
      ),
    );
    if (previewed) return;
    // Only when there is a hole to fill: a message that was never counted as one leaves the room (and its
    // version) alone.
    await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key,
          UpdateExpression: `${remove} ADD version :one`,
          ConditionExpression: 'contains(holes, :id)',
          ...staffName,
          ExpressionAttributeValues: { ':hole': hole, ':one': 1, ':id': message.id },
        }),
      ),
    );
  }

  /**
   * The id of the message that carries the claim's token, searched newest first. A send stamps its
   * `created_at` before it takes its id and takes it within its Lambda's timeout, so once the search meets a
   * message stamped well before the claim's, the claimed message is not further down: the search reads only
   * what was sent since. On the resend path only, and only when the room item no longer remembers the token.
   */
  private async findByToken(roomItem: Item, claim: SendClaim): Promise<number | null> {
    const roomId = roomIdOf(roomItem);
    const stopBefore = new Date(Date.parse(claim.createdAt) - SEARCH_MARGIN_MS).toISOString();
    let start: Item | undefined;
    do {
      const page = await this.table.db.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.room(roomId).pk, ':prefix': keys.messagePrefix },
          ProjectionExpression: 'id, claim, created_at',
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: SEARCH_PAGE,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.claim === claim.token) return Number(item.id);
        if (String(item.created_at) < stopBefore) return null;
      }
      start = page.LastEvaluatedKey as Item | undefined;
    } while (start);
    return null;
  }

  private async roomItem(roomId: string): Promise<Item | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.room(roomId), ConsistentRead: true }),
    );
    return (Item as Item | undefined) ?? null;
  }

  private async room(roomId: string): Promise<Room | null> {
    const item = await this.roomItem(roomId);
    return item ? toRoom(item) : null;
  }
}

/** The id the room item gave `token`, if it is among the room's last sends. */
function seqOfClaim(room: Item, token: string): number | null {
  for (let i = 0; i < RECENT_CLAIMS; i++) {
    if (room[recentClaim(i)] === token) return Number(room.seq) - (RECENT_CLAIMS - 1 - i);
  }
  return null;
}

/** The room's count of staff messages once the send that read `old` took its id. */
function staffCountAfter(old: Item, isStaff: boolean): number {
  return Number(old[keys.staffCount] ?? 0) + (isStaff ? 1 : 0);
}

/** The room as the send that stored `message` left it, from the room before the send. */
function roomAfter(old: Item, message: Message): Room {
  const before = toRoom(old);
  const isStaff = message.senderRole === 'staff';
  const staffMessages = staffCountAfter(old, isStaff);
  const staff = toStringArray(old.staff_ids);
  return {
    ...before,
    version: before.version + 1,
    lastMessageId: message.id,
    lastActivityAt: message.createdAt,
    staffIds:
      staff.includes(message.senderId) || message.senderRole !== 'staff'
        ? staff
        : [...staff, message.senderId],
    reads: new Map(before.reads).set(message.senderId, message.id),
    ...(isStaff || before.staffMessages !== undefined
      ? {
          staffMessages,
          staffMessagesRead: isStaff
            ? new Map(before.staffMessagesRead).set(message.senderId, staffMessages)
            : (before.staffMessagesRead ?? new Map()),
        }
      : {}),
    lastMessage: {
      id: message.id,
      senderId: message.senderId,
      senderRole: message.senderRole,
      preview: preview(shownText(message)),
      createdAt: message.createdAt,
    },
  };
}

/** The message a send stores under `id`. */
function messageOf(input: AppendMessageInput, id: number): Message {
  return {
    id,
    roomId: input.roomId,
    senderId: input.sender.userId,
    senderRole: input.sender.role,
    content: input.content,
    createdAt: input.createdAt,
    clientMessageId: input.clientMessageId,
    ...(input.attachments?.length ? { attachments: input.attachments } : {}),
  };
}
