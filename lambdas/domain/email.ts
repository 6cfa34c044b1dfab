import { type OutgoingEmail, replyEmail, type TeamNotice, teamNotice } from './email-content.js';
import type { ChatStore, SocketProbe, StaffPresenceReader } from './ports.js';
import type { Profile } from './profiles.js';
import type { Room } from './types.js';

/**
 * Email off the request path, from the table's stream (`lambdas/stream/notify.ts`):
 *
 * - a room opened while no staff member is online tells the team (`NOTIFY_TEAM`: an email to its address, or
 *   the stack's SNS topic), once per room whatever the stream's retries;
 * - a staff reply reaches a customer who is not connected to the room by email, when their address is
 *   verified (the host site's identity token vouched for it, or they confirmed it by a link), at most one
 *   email per conversation per window (a conditional write), with a link back to the conversation.
 */

/** Sends one email (SES v2 `SendEmail`; locally the SES stand-in, which captures it). */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

/** Tells the team (an email to the team's address, or a publish to the stack's topic). */
export interface TeamChannel {
  notify(notice: TeamNotice): Promise<void>;
}

/** A person as an email recipient: their profile, and the address they confirmed by link, if any. */
export interface EmailRecipient {
  readonly profile: Profile;
  /** The address a confirmation link proved (it stays proven only while the profile's email is this one). */
  readonly confirmedEmail: string | null;
}

/** What a reply email needs, read in one batch. */
export interface ReplyContext {
  readonly customer: EmailRecipient | null;
  /** The sender's display name, null without one. */
  readonly senderName: string | null;
  /** The stored reply: null when it is missing (or is not a public staff message, which never is emailed). */
  readonly reply: { readonly content: string; readonly senderId: string } | null;
}

/** The items this part of the system owns, in storage (`lambdas/storage/email-store.ts`). */
export interface EmailStorePorts {
  /** The customer's profile, the reply and its sender's profile, in one BatchGetItem. */
  replyContext(room: Room): Promise<ReplyContext>;
  /** Claims the team notice of a room; false when it was claimed before (a retried batch). */
  claimRoomNotice(roomId: string, nowMs: number): Promise<boolean>;
  /** Gives a claim back after the notice could not be sent, so that the retry sends it. */
  releaseRoomNotice(roomId: string): Promise<void>;
  /**
   * Takes the room's reply-email window (one conditional write): true when no email went out for the room
   * within `windowMs`; the window then runs until `nowMs + windowMs`.
   */
  takeReplyWindow(roomId: string, nowMs: number, windowMs: number): Promise<boolean>;
  /** Gives back a window taken at `nowMs` whose email could not be sent. */
  releaseReplyWindow(roomId: string, nowMs: number): Promise<void>;
}

export interface NotifyDeps {
  /** Who follows a room (the subscriptions fan-out reads). */
  readonly rooms: Pick<ChatStore, 'listSubscriptions'>;
  readonly emails: EmailStorePorts;
  readonly presence: StaffPresenceReader;
  readonly probe: SocketProbe;
  /** Absent: the team is not told (`NOTIFY_TEAM=off`). */
  readonly team: TeamChannel | undefined;
  /** Absent: no customer is emailed (no `EMAIL_FROM` or no `PUBLIC_URL`). */
  readonly mailer: Mailer | undefined;
  readonly settings: {
    readonly publicUrl: string | undefined;
    readonly replyThrottleMs: number;
    /** A socket whose client sent nothing for this long is not a connected customer (clients ping each 30 s). */
    readonly presenceWindowMs: number;
  };
  readonly now?: () => number;
}

/** What a batch of the stream asks for (decoded by storage's `notifyChangesOf`). */
export interface NotifyChanges {
  /** Rooms created in the batch. */
  readonly newRooms: readonly Room[];
  /** Rooms whose newest message, newer than before the batch, is a staff member's: the newest image of each. */
  readonly staffReplies: readonly Room[];
}

export type ReplySkip = 'unverified' | 'connected' | 'throttled' | 'no_reply';

export interface NotifyReport {
  /** Team notices sent (one per batch that had rooms to tell of). */
  readonly teamNotices: number;
  /** Rooms they told of. */
  readonly roomsNoticed: number;
  /** New rooms not told of because staff was online. */
  readonly staffOnline: number;
  readonly replyEmails: number;
  readonly skipped: Readonly<Record<ReplySkip, number>>;
}

/**
 * Rooms handled at once: a batch may hold up to 1,000 records, and each reply is a few round trips; a failure
 * of one does not stop the others (what they sent is claimed, so the batch's retry skips it).
 */
const CONCURRENCY = 8;

/** Runs `run` over `items`, at most `limit` at a time; rejects with the first failure once all have settled. */
async function eachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await run(item);
      }
    }),
  );
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The address a person can be emailed at: their profile's, if an identity token or a link proved it. */
export function verifiedAddress(recipient: EmailRecipient | null): string | null {
  const email = recipient?.profile.email ?? null;
  if (email === null || recipient === null) return null;
  if (recipient.profile.verifiedFields.includes('email')) return email;
  return recipient.confirmedEmail === email ? email : null;
}

/** Handles what one batch asks for; anything that fails throws, so the mapping retries the batch. */
export async function notifyChanges(deps: NotifyDeps, changes: NotifyChanges): Promise<NotifyReport> {
  const team = await noticeNewRooms(deps, changes.newRooms);
  const skipped: Record<ReplySkip, number> = { unverified: 0, connected: 0, throttled: 0, no_reply: 0 };
  let replyEmails = 0;
  const { mailer } = deps;
  if (mailer) {
    await eachLimited(changes.staffReplies, CONCURRENCY, async (room) => {
      const outcome = await emailReply(deps, mailer, room);
      if (outcome === 'sent') replyEmails += 1;
      else skipped[outcome] += 1;
    });
  }
  return { ...team, replyEmails, skipped };
}

async function noticeNewRooms(deps: NotifyDeps, rooms: readonly Room[]) {
  const none = { teamNotices: 0, roomsNoticed: 0, staffOnline: 0 };
  if (!deps.team || rooms.length === 0) return none;
  // The reading the widgets' "support is offline" comes from, checked against the sockets.
  const online = await deps.presence.onlineStaff();
  if (online.length > 0) return { ...none, staffOnline: rooms.length };
  const now = (deps.now ?? Date.now)();
  const claimed: Room[] = [];
  await eachLimited(rooms, CONCURRENCY, async (room) => {
    if (await deps.emails.claimRoomNotice(room.id, now)) claimed.push(room);
  });
  if (claimed.length === 0) return none;
  claimed.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  try {
    await deps.team.notify(teamNotice(claimed, deps.settings.publicUrl));
  } catch (error) {
    await Promise.all(claimed.map((room) => deps.emails.releaseRoomNotice(room.id)));
    throw error;
  }
  return { teamNotices: 1, roomsNoticed: claimed.length, staffOnline: 0 };
}

/**
 * One staff reply: the cheap refusals first (no verified address, the customer is connected), the window's
 * conditional write last, so that a reply nobody is emailed about never uses up the window.
 */
async function emailReply(deps: NotifyDeps, mailer: Mailer, room: Room): Promise<'sent' | ReplySkip> {
  const { publicUrl, replyThrottleMs } = deps.settings;
  if (!publicUrl) return 'no_reply';
  const context = await deps.emails.replyContext(room);
  if (!context.reply) return 'no_reply';
  const to = verifiedAddress(context.customer);
  if (to === null) return 'unverified';
  if (await customerConnected(deps, room)) return 'connected';
  const now = (deps.now ?? Date.now)();
  if (!(await deps.emails.takeReplyWindow(room.id, now, replyThrottleMs))) return 'throttled';
  const email = replyEmail({
    to,
    room,
    senderName: context.senderName,
    content: context.reply.content,
    publicUrl,
    throttleMinutes: Math.max(1, Math.round(replyThrottleMs / 60_000)),
  });
  try {
    await mailer.send(email);
  } catch (error) {
    await deps.emails.releaseReplyWindow(room.id, now);
    throw error;
  }
  return 'sent';
}

/**
 * Whether the customer follows the room on a socket that is alive: a subscription of theirs whose socket the
 * WebSocket API still knows and whose client sent a frame within the presence window. A subscription item
 * alone is not enough: `$disconnect` is best effort, and a closed laptop's socket lingers until its idle cut.
 */
async function customerConnected(deps: NotifyDeps, room: Room): Promise<boolean> {
  const now = (deps.now ?? Date.now)();
  const sockets = (await deps.rooms.listSubscriptions(room.id)).filter(
    (subscription) => subscription.userId === room.customerId,
  );
  for (const socket of sockets) {
    const lastActiveAt = await deps.probe.lastActiveAt(socket.connectionId);
    if (lastActiveAt !== 'gone' && now - lastActiveAt <= deps.settings.presenceWindowMs) return true;
  }
  return false;
}
