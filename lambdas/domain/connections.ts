import { createHash, randomBytes } from 'node:crypto';
import { type ChatCommandDeps, type ChatDeps, now, requireStaff, view, visibleRoom } from './chat.js';
import { AppError } from './errors.js';
import { Limit, RateLimited, spend } from './limits.js';
import type { StaffPresenceReader } from './ports.js';
import type { Actor, FoundBy, OnlineUser, RoomView, Ticket } from './types.js';

/**
 * Sockets: connecting (and the limit on a user's sockets), presence and its announcements, following rooms and
 * the staff queue, typing, and the one-time tickets browsers connect with. The rooms and messages they carry
 * are in chat.ts.
 */

/** API Gateway closes every socket after two hours; items outlive that a little so reads decide, not TTL. */
export const CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60 + 5 * 60;
/** A WebSocket ticket is good for one connection within this many seconds. */
export const TICKET_LIFETIME_SECONDS = 60;

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Staff with at least one live socket: checked against the WebSocket API when `presence` is given (a socket
 * whose `$disconnect` never ran, or that died silently, stops counting within the presence window), else
 * straight from the presence items.
 */
export function onlineStaff(
  deps: ChatDeps & { readonly presence?: StaffPresenceReader },
): Promise<OnlineUser[]> {
  return deps.presence ? deps.presence.onlineStaff() : deps.store.onlineStaff();
}

export interface ConnectInput {
  readonly connectionId: string;
  /** Epoch milliseconds, as API Gateway reports it. */
  readonly connectedAt: number;
  /** Room to follow from the start (`?room_id=`). */
  readonly roomId?: string | undefined;
  /** When the socket's token expires (epoch seconds): its items expire then too, so no fan-out finds it. */
  readonly sessionExpiresAt?: number | undefined;
}

/**
 * When a socket's items expire (epoch seconds): at API Gateway's 2-hour cut, or when its token does if that
 * is sooner, so a socket whose token expired is found by no fan-out even if it only ever pings.
 */
function socketExpiry(input: {
  readonly connectedAt: number;
  readonly sessionExpiresAt?: number | undefined;
}) {
  const cut = Math.floor(input.connectedAt / 1000) + CONNECTION_LIFETIME_SECONDS;
  return input.sessionExpiresAt === undefined ? cut : Math.min(cut, input.sessionExpiresAt);
}

/**
 * Registers a socket. When it asks to follow a room at connect time, the room must be visible to the user,
 * or the connection is refused before a single frame can reach it. A connect that fails half-way leaves
 * nothing behind: a refused socket must not look online.
 */
export async function connect(deps: ChatCommandDeps, actor: Actor, input: ConnectInput): Promise<void> {
  if (input.roomId !== undefined) await visibleRoom(deps, actor, input.roomId);
  const expiresAt = socketExpiry(input);
  const rooms = input.roomId === undefined ? [] : [input.roomId];
  // The connection, its presence and its first subscription are written together.
  await deps.store.putConnection(
    { ...actor, connectionId: input.connectionId, connectedAt: input.connectedAt, rooms },
    expiresAt,
  );
  try {
    const version = await nextPresenceVersion(deps, actor);
    const live = await deps.store.userConnections(actor.userId, actor.role);
    // Each socket reads after its own write, so of sockets opening together exactly the oldest `max` stay.
    const position = live.findIndex((c) => c.connectionId === input.connectionId);
    if (position >= deps.limits.sockets[actor.role]) throw new RateLimited('sockets', undefined);
    // Two tabs make one presence. Each socket reads after its own write, so of two tabs opening together
    // both see both, and exactly one (the oldest) announces; a socket that finds an older live one is silent.
    const oldest = live[0];
    if (oldest?.connectionId === input.connectionId) {
      const roomIds = await deps.store.openRoomIdsOf(actor);
      await deps.events.presenceChanged(actor, { isOnline: true, ...version }, roomIds, input.connectionId);
    }
  } catch (error) {
    await deps.store.deleteConnection(input.connectionId);
    throw error;
  }
}

/**
 * Forgets a socket: on `$disconnect`, and when the management API says it is gone. The last socket of a
 * user going away makes them offline; two tabs closing together may both say so, which is harmless.
 */
export async function disconnect(deps: ChatCommandDeps, connectionId: string): Promise<void> {
  const connection = await deps.store.deleteConnection(connectionId);
  if (connection) await announceOfflineIfLast(deps, connection);
}

async function announceOfflineIfLast(deps: ChatCommandDeps, who: Actor): Promise<void> {
  const actor = { userId: who.userId, role: who.role };
  const version = await nextPresenceVersion(deps, actor);
  if ((await deps.store.userConnections(actor.userId, actor.role)).length > 0) return;
  await deps.events.presenceChanged(
    actor,
    { isOnline: false, ...version },
    await deps.store.openRoomIdsOf(actor),
  );
}

/**
 * The version and time of a presence decision, taken after the socket's own write and before the read that
 * decides. Of two decisions that disagree, one read did not see the other's write, so it read before that
 * write, whose version and time come after it: the newer truth carries the higher version. Versions come from
 * one counter per user in the table, because clocks of two containers may tie or disagree by a few ms.
 */
async function nextPresenceVersion(
  deps: ChatDeps,
  actor: Actor,
): Promise<{ readonly version: number; readonly at: number }> {
  const version = await deps.store.nextPresenceVersion(actor, now(deps).getTime());
  return { version, at: now(deps).getTime() };
}

/** A socket the management API no longer knows, with the items that led a fan-out to it. */
export interface GoneSocket extends Actor {
  readonly connectionId: string;
  readonly foundBy: readonly FoundBy[];
}

/**
 * A socket the management API no longer knows (410): forget it through its connection item, and also delete
 * each item it was found by that the connection item did not list (the connection item was already gone, or a
 * follow raced `$disconnect`), by that item's own key: a console found through a room and the queue loses both.
 */
export async function forgetGoneSocket(deps: ChatCommandDeps, socket: GoneSocket): Promise<void> {
  const { connectionId } = socket;
  const connection = await deps.store.deleteConnection(connectionId);
  let presenceRemoved = false;
  for (const found of socket.foundBy) {
    if (found.kind === 'subscription' && !connection?.rooms.includes(found.roomId)) {
      await deps.store.removeSubscription(found.roomId, connectionId);
    } else if (found.kind === 'queue' && !connection?.followsQueue) {
      await deps.store.removeQueueFollower(connectionId);
    } else if (found.kind === 'presence' && !connection && !presenceRemoved) {
      await deps.store.removePresence(socket.userId, socket.role, connectionId);
      presenceRemoved = true;
    }
  }
  if (connection) await announceOfflineIfLast(deps, connection);
  else if (presenceRemoved) await announceOfflineIfLast(deps, socket);
}

export interface SubscribeInput {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly roomId: string;
  readonly sessionExpiresAt?: number | undefined;
}

/** Follows a room on one socket: customers their own rooms, staff any room. */
export async function subscribe(deps: ChatDeps, actor: Actor, input: SubscribeInput): Promise<RoomView> {
  const room = await visibleRoom(deps, actor, input.roomId);
  const { sessionExpiresAt: _, ...subscription } = input;
  await deps.store.addSubscription({ ...actor, ...subscription }, socketExpiry(input));
  return view(room, actor);
}

/**
 * Follows the staff queue on one socket: a `queue` frame about once a second with a summary of each open
 * room that changed (`lambdas/stream/queue-summaries.ts`), so a console keeps its whole queue live with one
 * subscription, and a message costs nothing per console.
 */
export async function followQueue(
  deps: ChatDeps,
  actor: Actor,
  input: {
    readonly connectionId: string;
    readonly connectedAt: number;
    readonly sessionExpiresAt?: number | undefined;
  },
): Promise<void> {
  requireStaff(actor);
  const { sessionExpiresAt: _, ...socket } = input;
  await deps.store.addQueueFollower({ ...actor, ...socket, roomId: '' }, socketExpiry(input));
}

export async function unfollowQueue(deps: ChatDeps, connectionId: string): Promise<void> {
  await deps.store.removeQueueFollower(connectionId);
}

export async function unsubscribe(deps: ChatDeps, roomId: string, connectionId: string): Promise<void> {
  await deps.store.removeSubscription(roomId, connectionId);
}

/**
 * Frames about a room are only taken from sockets that follow it. (Following the queue is not enough: a
 * console subscribes to the room it shows.)
 */
export async function requireFollowing(deps: ChatDeps, roomId: string, connectionId: string): Promise<void> {
  const subscription = await deps.store.getSubscription(roomId, connectionId);
  if (!subscription) {
    throw new AppError(403, 'not_subscribed', 'This socket does not follow that room; subscribe first');
  }
}

export async function typing(
  deps: ChatCommandDeps,
  actor: Actor,
  roomId: string,
  isTyping: boolean,
  connectionId: string,
): Promise<void> {
  // Per user (per socket, ten sockets would multiply it), and first, so a flood costs one write a frame.
  await spend(deps, actor, Limit.typing, actor.userId, now(deps).getTime());
  await requireFollowing(deps, roomId, connectionId);
  // The room's sockets hear it now; the queue's consoles through the stream, in their next summary.
  await Promise.all([
    deps.store.putTyping(roomId, actor, isTyping, now(deps).toISOString()),
    deps.events.typing(roomId, actor, isTyping, connectionId),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// One-time WebSocket tickets: browsers connect with `?ticket=` instead of putting a long-lived JWT in a URL.

const hashTicket = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresIn: number;
}

/** Only the ticket's hash is stored: a read of the table does not yield a usable ticket. */
export async function issueTicket(
  deps: ChatDeps,
  actor: Actor,
  tokenExpiresAt: number,
): Promise<IssuedTicket> {
  const ticket = randomBytes(32).toString('base64url');
  // A ticket never outlives the token it was bought with.
  const expiresAt = Math.min(epochSeconds(now(deps)) + TICKET_LIFETIME_SECONDS, tokenExpiresAt);
  await deps.store.putTicket(
    hashTicket(ticket),
    { userId: actor.userId, role: actor.role, tokenExpiresAt },
    expiresAt,
  );
  return { ticket, expiresIn: TICKET_LIFETIME_SECONDS };
}

/** The ticket's owner, once; null for an unknown, used or expired ticket. */
export function redeemTicket(deps: ChatDeps, ticket: string): Promise<Ticket | null> {
  return deps.store.takeTicket(hashTicket(ticket));
}
