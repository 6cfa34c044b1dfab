import { view } from '../domain/chat.js';
import type { ChatEvents, ChatStore, RoomEvent } from '../domain/ports.js';
import type { Actor, FoundBy, Message, PresenceChange, Room, Subscription } from '../domain/types.js';
import { frames } from '../protocol/frames.js';
import type { Pusher, Target } from './pusher.js';

/**
 * Turns domain events into frames and picks who gets them. A room's frames go to the sockets that follow it
 * and to the staff sockets that follow the queue (one Query of each, whatever the size of the system); room
 * lifecycle changes and staff presence go to every staff socket, so every console's queue stays current.
 */
export class PushEvents implements ChatEvents {
  constructor(
    private readonly store: ChatStore,
    private readonly pusher: Pusher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async roomChanged(event: RoomEvent, room: Room, userId: string): Promise<void> {
    const [followers, staff] = await Promise.all([
      event === 'created' ? [] : this.roomFollowers(room.id),
      this.staffSockets(),
    ]);
    await this.pusher.send([...followers, ...staff], (target) =>
      frames.room(event, view(room, { userId: target.userId, role: target.role }), userId),
    );
  }

  async messageCreated(message: Message): Promise<void> {
    await this.pusher.send(await this.audienceOf(message.roomId), frames.message(message));
  }

  async typing(roomId: string, actor: Actor, isTyping: boolean, fromConnectionId: string): Promise<void> {
    const audience = await this.audienceOf(roomId);
    await this.pusher.send(
      audience.filter((target) => target.connectionId !== fromConnectionId),
      frames.typing(roomId, actor, isTyping),
    );
  }

  async readReceipt(roomId: string, actor: Actor, messageId: number): Promise<void> {
    await this.pusher.send(
      await this.audienceOf(roomId),
      frames.readReceipt(roomId, actor, messageId, this.now().toISOString()),
    );
  }

  /** The sockets following the room, and the staff sockets following the whole queue. */
  private async audienceOf(roomId: string): Promise<Target[]> {
    const [followers, queue] = await Promise.all([
      this.roomFollowers(roomId),
      this.store.queueFollowers().then(foundBy({ kind: 'queue' })),
    ]);
    return [...followers, ...queue];
  }

  private roomFollowers(roomId: string): Promise<Target[]> {
    return this.store.listSubscriptions(roomId).then(foundBy({ kind: 'subscription', roomId }));
  }

  private staffSockets(): Promise<Target[]> {
    return this.store.staffConnections().then(foundBy({ kind: 'presence' }));
  }

  async presenceChanged(
    actor: Actor,
    change: PresenceChange,
    roomIds: readonly string[],
    exceptConnectionId?: string,
  ): Promise<void> {
    const audiences: Promise<Target[]>[] = roomIds.map((roomId) => this.roomFollowers(roomId));
    if (actor.role === 'staff') audiences.push(this.staffSockets());
    const targets = (await Promise.all(audiences)).flat();
    await this.pusher.send(
      targets.filter((target) => target.connectionId !== exceptConnectionId),
      frames.presence(actor, change),
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
