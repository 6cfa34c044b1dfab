import type { Room } from './types.js';

/**
 * What the emails say, as pure functions of what they are about. Plain text only: message text is never
 * HTML anywhere in the system, and a text/plain body cannot carry markup, scripts or tracking pixels
 * whatever a message contains. Only what the recipient may see goes in: a customer's email holds the reply
 * meant for them, its sender's display name, their conversation's subject and a link, and nothing of the
 * room's internals (staff ids, other members, read pointers, internal notes, the room id beyond the link).
 */

/** An email as the mailer sends it. */
export interface OutgoingEmail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** A notice to the team (an email to its address, or a message on the stack's SNS topic). */
export interface TeamNotice {
  readonly subject: string;
  readonly text: string;
}

/**
 * SNS takes a subject "less than 100 characters long", printable, on one line; so does every subject here. A
 * subject SNS refuses fails the whole stream batch, every retry of it (the customer's own subject is in it), so
 * the length is counted in UTF-16 code units, the strictest reading short of bytes: an emoji counts two.
 */
const SUBJECT_MAX = 99;

/**
 * A value for a subject or a one-line field: control and format characters (line breaks included, so no
 * header can be smuggled in) become spaces, runs of white space one, and the whole is cut, never inside a
 * character, to at most `max` UTF-16 code units (so at most `max` characters), an ellipsis included.
 */
export function oneLine(value: string, max = SUBJECT_MAX): string {
  const flat = value
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= max) return flat;
  let cut = '';
  for (const char of flat) {
    if (cut.length + char.length > max - 1) break;
    cut += char;
  }
  return `${cut}…`;
}

/** Where staff open a room in the console. */
export const consoleLink = (publicUrl: string, roomId: string) =>
  `${publicUrl}/console.html#/rooms/${encodeURIComponent(roomId)}`;

/** Where a customer picks up their conversation: the stack's widget page, told which room. */
export const conversationLink = (publicUrl: string, roomId: string) =>
  `${publicUrl}/widget.html?room=${encodeURIComponent(roomId)}`;

/** The team's notice of rooms opened while nobody from support was online: one notice per batch of rooms. */
export function teamNotice(rooms: readonly Room[], publicUrl: string | undefined): TeamNotice {
  const [first] = rooms;
  const who = (room: Room) => oneLine(room.customerName ?? 'A visitor', 60);
  const what = (room: Room) => oneLine(room.subject || room.roomType || 'no subject', 80);
  const subject =
    rooms.length === 1 && first
      ? oneLine(`New chat while nobody is online: ${what(first)}`)
      : `${rooms.length} new chats while nobody is online`;
  const lines = rooms.map(
    (room) => `- ${who(room)}: ${what(room)}${publicUrl ? `\n  ${consoleLink(publicUrl, room.id)}` : ''}`,
  );
  return {
    subject,
    text: [
      rooms.length === 1
        ? 'A customer opened a chat while no one from support was online.'
        : `${rooms.length} customers opened chats while no one from support was online.`,
      '',
      ...lines,
      '',
      'Sign in to the console to answer.',
      '',
    ].join('\n'),
  };
}

export interface ReplyEmailInput {
  readonly to: string;
  readonly room: Room;
  /** The reply's sender as the customer sees them; null: "Support". */
  readonly senderName: string | null;
  /** The reply itself (the stored message's content, a staff member's). */
  readonly content: string;
  readonly publicUrl: string;
  /** The throttle, to tell the customer how often they may hear from us. */
  readonly throttleMinutes: number;
}

/** A staff reply, to a customer who is not connected. */
export function replyEmail(input: ReplyEmailInput): OutgoingEmail {
  const sender = oneLine(input.senderName ?? 'Support', 60);
  const topic = input.room.subject ? ` about "${oneLine(input.room.subject, 60)}"` : '';
  return {
    to: input.to,
    subject: oneLine(`${sender} replied to your conversation${topic}`),
    text: [
      `${sender} replied${topic}:`,
      '',
      input.content,
      '',
      `Continue the conversation: ${conversationLink(input.publicUrl, input.room.id)}`,
      '',
      `You get at most one email per conversation every ${input.throttleMinutes} minute${
        input.throttleMinutes === 1 ? '' : 's'
      }, and none while the chat is open.`,
      '',
    ].join('\n'),
  };
}

/** The link that confirms an address, the first time a customer gives it. */
export function confirmationEmail(to: string, link: string, ttlSeconds: number): OutgoingEmail {
  const hours = Math.max(1, Math.round(ttlSeconds / 3600));
  return {
    to,
    subject: 'Confirm your email address for chat replies',
    text: [
      'Open this link and press Confirm to get replies to your chats by email while you are away:',
      '',
      link,
      '',
      `It works once, for ${hours} hour${hours === 1 ? '' : 's'}. If you did not ask for it, ignore this email.`,
      '',
    ].join('\n'),
  };
}
