import * as v from 'valibot';
import { type CannedReply, PLACEHOLDERS } from '../domain/canned-replies.js';
import { NotFound } from '../domain/errors.js';
import { messageContent } from './schemas.js';

/** The wire shape of a canned reply (snake_case, as every other answer). */
export function cannedReplyJson(reply: CannedReply) {
  return {
    id: reply.id,
    title: reply.title,
    shortcut: reply.shortcut,
    text: reply.text,
    created_by: reply.createdBy,
    updated_at: reply.updatedAt,
  };
}

/** The whole list in one page (it is bounded); `next_cursor` keeps the shape every other list has. */
export function cannedReplyListJson(replies: readonly CannedReply[]) {
  return { results: replies.map(cannedReplyJson), next_cursor: null };
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const known = new Set<string>(PLACEHOLDERS);

/** `{customer_name}` and `{agent_name}` only: a misspelt placeholder would reach a customer as written. */
const onlyKnownPlaceholders = (text: string) =>
  [...text.matchAll(PLACEHOLDER)].every((match) => known.has(match[1] ?? ''));

/**
 * `POST /api/chat/canned-replies/` and `PUT /api/chat/canned-replies/{id}/`: every field, every time (a PUT
 * replaces the reply). The text is a message once inserted, so it follows the message rules and length.
 */
export const cannedReplyBody = (maxLength: number) =>
  v.object({
    title: v.pipe(
      v.string('title must be a string'),
      v.transform((value) => value.trim()),
      v.minLength(1, 'title must not be empty'),
      v.check((value) => [...value].length <= 80, 'title must be at most 80 characters'),
      v.check((value) => !/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(value), 'title must be plain text'),
    ),
    shortcut: v.pipe(
      v.string('shortcut must be a string'),
      v.transform((value) => value.trim().replace(/^\//, '').toLowerCase()),
      v.regex(
        /^[a-z0-9][a-z0-9_-]{0,31}$/,
        'shortcut must be 1 to 32 lowercase letters, digits, - or _ (typed after /)',
      ),
    ),
    text: v.pipe(
      messageContent(maxLength),
      v.check(
        onlyKnownPlaceholders,
        `text may hold only the placeholders ${PLACEHOLDERS.map((name) => `{${name}}`).join(' and ')}`,
      ),
    ),
  });

const REPLY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A canned reply id from a path: a UUID, or a reply that does not exist (404). */
export function checkedReplyId(replyId: string | undefined): string {
  if (!replyId || !REPLY_ID.test(replyId)) {
    throw new NotFound('Canned reply not found', 'canned_reply_not_found');
  }
  return replyId;
}
