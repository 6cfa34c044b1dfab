import type { ChatHttp, HistoryOptions } from './http.js';
import type { Message, MessagePage } from './wire.js';

/**
 * The staff-only routes of the HTTP API that the console alone uses: internal notes and the team's canned
 * replies. Functions over a {@link ChatHttp} rather than methods on it, so a customer's bundle (the widget)
 * carries none of them.
 */

/** A saved reply: `text` may hold `{customer_name}` and `{agent_name}`, filled in when it is inserted. */
export interface CannedReply {
  readonly id: string;
  readonly title: string;
  /** Typed after `/` in the composer: lowercase letters, digits, `-` and `_`. */
  readonly shortcut: string;
  readonly text: string;
  readonly created_by: string;
  readonly updated_at: string;
}

export interface CannedReplyInput {
  readonly title: string;
  readonly shortcut: string;
  readonly text: string;
}

export interface CannedReplyList {
  readonly results: readonly CannedReply[];
  readonly next_cursor: null;
}

const roomPath = (roomId: string) => `/api/chat/rooms/${encodeURIComponent(roomId)}`;
const replyPath = (replyId: string) => `/api/chat/canned-replies/${encodeURIComponent(replyId)}`;

/**
 * Posts an internal note: seen by staff only, numbered apart from the messages. A retry with the same
 * `clientMessageId` returns the stored note.
 */
export function sendNote(
  http: ChatHttp,
  roomId: string,
  content: string,
  clientMessageId?: string,
): Promise<Message> {
  const body = {
    content,
    visibility: 'internal',
    ...(clientMessageId === undefined ? {} : { client_message_id: clientMessageId }),
  };
  return http.request<Message>('POST', `${roomPath(roomId)}/send_message`, body);
}

/** One page of a room's notes, ascending by note id. Without `before`/`after`: the newest. */
export function listNotes(
  http: ChatHttp,
  roomId: string,
  options: HistoryOptions = {},
): Promise<MessagePage> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(options))
    if (value !== undefined) search.set(name, String(value));
  const query = search.toString();
  return http.request('GET', `${roomPath(roomId)}/notes${query ? `?${query}` : ''}`);
}

export function listCannedReplies(http: ChatHttp): Promise<CannedReplyList> {
  return http.request('GET', '/api/chat/canned-replies');
}

export function createCannedReply(http: ChatHttp, input: CannedReplyInput): Promise<CannedReply> {
  return http.request('POST', '/api/chat/canned-replies', input);
}

export function updateCannedReply(
  http: ChatHttp,
  replyId: string,
  input: CannedReplyInput,
): Promise<CannedReply> {
  return http.request('PUT', replyPath(replyId), input);
}

export async function deleteCannedReply(http: ChatHttp, replyId: string): Promise<void> {
  await http.request('DELETE', replyPath(replyId));
}

/**
 * A canned reply's text with its placeholders filled in. A name that is unknown becomes a neutral word
 * rather than staying `{customer_name}` in front of the customer.
 *
 * @example fillPlaceholders('Hi {customer_name}, {agent_name} here', { customerName: 'Ada', agentName: 'Sam' })
 *          // 'Hi Ada, Sam here'
 */
export function fillPlaceholders(
  text: string,
  names: { readonly customerName: string | null; readonly agentName: string | null },
): string {
  // One pass: a name that itself reads `{agent_name}` stays as the person typed it.
  const values: Readonly<Record<string, string>> = {
    customer_name: names.customerName?.trim() || 'there',
    agent_name: names.agentName?.trim() || 'the support team',
  };
  return text.replace(/\{(customer_name|agent_name)\}/g, (_, name: string) => values[name] ?? '');
}
