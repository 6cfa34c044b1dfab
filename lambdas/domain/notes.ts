import type { ChatDeps } from './chat.js';
import { now } from './chat.js';
import { BadRequest, Conflict, roomClosed, roomNotFound, staffOnly } from './errors.js';
import { Limit, type LimitDeps, spend } from './limits.js';
import type { HistoryRequest } from './ports.js';
import { type Actor, type Message, type MessagePage, Role, RoomStatus } from './types.js';

/**
 * Internal notes: what staff write in a room for each other ("refund approved by Dana", "asked twice
 * already"), never for its customer.
 *
 * A note is not a message with a flag on it. It lives beside the messages in the room's partition
 * (`NOTE#<n>` items) but takes its number from a counter of its own (an item beside the room item, not the
 * room item itself), so:
 *
 * - the message sequence customers see has no hole where a note was, and their unread count (the room's
 *   newest message id less their pointer) cannot include one;
 * - the room item, which customers read (get-room, list-rooms) and whose every write reaches the staff
 *   queue and the room's followers, is never written by a note: no preview, no `last_message_id`, no version
 *   change that a customer could see move;
 * - history (`MSG#` keys), the resend search and the room's preview never meet a note, because none of them
 *   reads outside the `MSG#` range.
 *
 * A note goes to the sockets that follow its room and belong to staff (`NoteEvents`): the same Query as a
 * message's fan-out, filtered, so it costs nothing per online staff member either.
 */

/** Storage of notes, in the domain's words (lambdas/storage/note-store.ts). */
export interface NoteStore {
  /** Numbers and stores a note; a resend with the same client_message_id returns the stored one. */
  appendNote(input: NewNoteInput): Promise<NoteAppendResult>;
  /** The room's notes in id order, paged like history. */
  listNotes(roomId: string, request: HistoryRequest): Promise<MessagePage>;
}

export interface NewNoteInput {
  readonly roomId: string;
  readonly sender: Actor;
  readonly content: string;
  readonly createdAt: string;
  readonly clientMessageId: string | null;
}

export type NoteAppendResult =
  | { readonly kind: 'created' | 'duplicate'; readonly note: Message }
  /** Another copy of this send holds its claim and is still running. */
  | { readonly kind: 'in_progress' };

/** Who hears of a note: the staff sockets that follow its room, and nobody else. */
export interface NoteEvents {
  noteCreated(note: Message): Promise<void>;
}

export interface NoteDeps extends ChatDeps, LimitDeps {
  readonly notes: NoteStore;
  readonly noteEvents: NoteEvents;
}

export interface NewNote {
  readonly content: string;
  readonly clientMessageId?: string | null | undefined;
}

export interface NoteResult {
  readonly note: Message;
  /** False for a resend (same client_message_id) of a stored note. */
  readonly created: boolean;
}

/**
 * Stores an internal note in an open room and pushes it to the staff who follow the room. Customers get 403
 * `staff_only` (a note is a staff tool, and they have no room of another kind to probe). Writing a note does
 * not join the room: a colleague may leave a word without taking part in the conversation.
 *
 * The open-room check is a read of the room before the note is numbered, not a condition on the same write
 * (the note never writes the room item, by design): a note that races the room's close may land just after
 * it. Staff alone see notes, so that costs nothing a customer could notice.
 */
export async function sendNote(
  deps: NoteDeps,
  actor: Actor,
  roomId: string,
  input: NewNote,
): Promise<NoteResult> {
  if (actor.role !== Role.staff) throw staffOnly();
  // Notes share the sender's message budget: one flood, one limit.
  await spend(deps, actor, Limit.messages, actor.userId, now(deps).getTime());
  const room = await deps.store.getRoom(roomId);
  if (!room) throw roomNotFound();
  if (room.status !== RoomStatus.open) throw roomClosed();
  const result = await deps.notes.appendNote({
    roomId,
    sender: actor,
    content: input.content,
    createdAt: now(deps).toISOString(),
    clientMessageId: input.clientMessageId ?? null,
  });
  if (result.kind === 'in_progress') {
    throw new Conflict('This note is still being sent; try again shortly', 'send_in_progress');
  }
  // A resend is pushed again, as a message's is: the first copy may have stopped before it pushed.
  await deps.noteEvents.noteCreated(result.note);
  return { note: result.note, created: result.kind === 'created' };
}

/** The room's notes for staff, oldest first within the page; customers get 403. */
export async function listNotes(
  deps: ChatDeps & { readonly notes: NoteStore },
  actor: Actor,
  roomId: string,
  request: HistoryRequest,
): Promise<MessagePage> {
  if (actor.role !== Role.staff) throw staffOnly();
  if (request.before !== undefined && request.after !== undefined) {
    throw new BadRequest('Use either before or after, not both');
  }
  const [room, page] = await Promise.all([deps.store.getRoom(roomId), deps.notes.listNotes(roomId, request)]);
  if (!room) throw roomNotFound();
  return page;
}
