import { view } from '../domain/chat.js';
import type { ChatEvents, ChatStore, RoomEvent } from '../domain/ports.js';
import type { Actor, FoundBy, Message, Room, Subscription } from '../domain/types.js';
import { frames } from '../protocol/frames.js';
import type { Pusher, Target } from './pusher.js';

/**
 * Turns domain events into frames and picks who gets them: the sockets that follow the room (one Query of
 * its subscriptions, whatever the size of the system). Consoles that follow the staff queue hear about every
 * room from the table's stream instead, one coalesced `queue` frame a batch (`queue-summaries.ts`), so
 * nothing here costs anything per online staff member. Staff presence still goes to every staff socket: it
 * changes per sign-in, not per message.
 */
export class PushEvents implements ChatEvents {
  constructor(
    private readonly store: ChatStore,
    private readonly pusher: Pusher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async roomChanged(event: RoomEvent, room: Room, userId: string): Promise<void> {
    // Nobody follows a room that was just created; the queue learns of it from the stream.
    if (event === 'created') return;
    await this.pusher.send(await this.roomFollowers(room.id), (target) =>
      frames.room(event, view(room, { userId: target.userId, role: target.role }), userId),
    );
  }

  async messageCreated(message: Message): Promise<void> {
    await this.pusher.send(await this.roomFollowers(message.roomId), frames.message(message));
  }

  async typing(roomId: string, actor: Actor, isTyping: boolean, fromConnectionId: string): Promise<void> {
    const audience = await this.roomFollowers(roomId);
    await this.pusher.send(
      audience.filter((target) => target.connectionId !== fromConnectionId),
      frames.typing(roomId, actor, isTyping),
    );
  }

  async readReceipt(roomId: string, actor: Actor, messageId: number): Promise<void> {
    await this.pusher.send(
      await this.roomFollowers(roomId),
      frames.readReceipt(roomId, actor, messageId, this.now().toISOString()),
    );
  }

  private roomFollowers(roomId: string): Promise<Target[]> {
    return this.store.listSubscriptions(roomId).then(foundBy({ kind: 'subscription', roomId }));
  }

  private staffSockets(): Promise<Target[]> {
    return this.store.staffConnections().then(foundBy({ kind: 'presence' }));
  }

  async presenceChanged(
    actor: Actor,
    isOnline: boolean,
    roomIds: readonly string[],
    exceptConnectionId?: string,
  ): Promise<void> {
    const audiences: Promise<Target[]>[] = roomIds.map((roomId) => this.roomFollowers(roomId));
    if (actor.role === 'staff') audiences.push(this.staffSockets());
    const targets = (await Promise.all(audiences)).flat();
    await this.pusher.send(
      targets.filter((target) => target.connectionId !== exceptConnectionId),
      frames.presence(actor, isOnline),
    );
  }
}

/** Targets that say which item led to them. */
const foundBy =
  (found: FoundBy) =>
  (sockets: readonly Subscription[]): Target[] =>
    sockets.map(({ connectionId, userId, role, connectedAt }) => ({
      connectionId,
      userId,
      role,
      connectedAt,
      foundBy: [found],
    }));
