import * as v from 'valibot';
import { BadRequest, type FieldIssue, NotFound, roomNotFound } from '../domain/errors.js';
import { NAME_MAX_CHARS } from '../domain/profiles.js';

/**
 * Schemas of everything a client sends: HTTP bodies and query strings, and WebSocket frames. Both APIs use
 * the same field rules, so a message that is refused over HTTP is refused over the socket too.
 */

/** Counts characters as people do (code points), not UTF-16 units. */
const characters = (value: string) => [...value].length;

/** A lone UTF-16 surrogate is not text: DynamoDB and browsers would each mangle it differently. */
const wellFormed = (value: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);

/**
 * What shows nothing on its own: controls (Cc, NUL included), format characters (Cf: zero-width spaces and
 * joiners, the byte-order mark, bidi controls, tags), separators (Zs, Zl, Zp) and other white space, and the
 * default-ignorable code points (variation selectors, Hangul fillers). Text made only of these is empty; inside
 * visible text they stay, so emoji ZWJ sequences and variation selectors keep working.
 */
const INVISIBLE_ONLY = /^[\p{Cc}\p{Cf}\p{Z}\p{White_Space}\p{Default_Ignorable_Code_Point}]*$/u;
const visible = (value: string) => !INVISIBLE_ONLY.test(value);

export const messageContent = (maxLength: number) =>
  v.pipe(
    v.string('content must be a string'),
    v.check(wellFormed, 'content must be valid Unicode text'),
    v.check(visible, 'content must not be empty'),
    v.check((value) => characters(value) <= maxLength, `content must be at most ${maxLength} characters`),
  );

/**
 * A message's text beside the files it cites: it may be empty when it cites at least one (a screenshot sent
 * on its own), and is checked as any other content when it is not.
 */
const contentOrAttachments = <
  T extends { content: string; attachments?: string[] | undefined; visibility?: string | undefined },
>() =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { content, attachments, visibility } = dataset.value;
    const files = attachments?.length ?? 0;
    if (files === 0 && !visible(content)) {
      addIssue({
        message: 'content must not be empty',
        path: [{ type: 'object', origin: 'value', input: dataset.value, key: 'content', value: content }],
      });
    }
    // A note is text alone: its files would live in the room's uploads, which the customer's side can list.
    if (files > 0 && visibility === 'internal') {
      addIssue({
        message: 'an internal note cannot carry attachments',
        path: [
          { type: 'object', origin: 'value', input: dataset.value, key: 'attachments', value: attachments },
        ],
      });
    }
  });

/** The text of a message that may also carry attachments: as `messageContent`, but may be empty. */
const textBesideAttachments = (maxLength: number) =>
  v.optional(
    v.pipe(
      v.string('content must be a string'),
      v.check(wellFormed, 'content must be valid Unicode text'),
      v.check((value) => characters(value) <= maxLength, `content must be at most ${maxLength} characters`),
    ),
    '',
  );

/** Ids of attachments the sender uploaded to the room (lambdas/domain/attachments.ts), at most ten. */
export const attachmentIds = v.pipe(
  v.array(v.pipe(v.string('attachment ids must be strings'), v.uuid('attachment ids are UUIDs'))),
  v.maxLength(10, 'a message may carry at most 10 attachments'),
);

export const clientMessageId = v.pipe(
  v.string('client_message_id must be a string'),
  v.regex(/^[\w.:-]{1,64}$/, 'client_message_id must be 1 to 64 letters, digits or . _ : -'),
);

/** `internal` makes the message a staff-only note (lambdas/domain/notes.ts); absent is `public`. */
export const visibility = v.picklist(['public', 'internal'], 'visibility must be "public" or "internal"');

export const roomId = v.pipe(
  v.string('room_id must be a string'),
  v.minLength(1, 'room_id must not be empty'),
);

/** Message ids are whole numbers a JSON number holds exactly (1e308 and 2^53 + 1 do not). */
const messageId = (field: string) =>
  v.pipe(
    v.number(`${field} must be a number`),
    v.safeInteger(`${field} must be a whole number below 2^53`),
    v.minValue(1, `${field} must be at least 1`),
  );

/** Nothing that is not text: control characters (tabs and new lines too) have no place in a name or URL. */
const noControls = (value: string) => !/\p{Cc}/u.test(value);

/**
 * The bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder the text around them:
 * `Alice \u202E)ffats(` shows as "Alice (staff)". A name is shown beside other people's words, so none of them.
 */
const noBidiControls = (value: string) => !/[\u202A-\u202E\u2066-\u2069]/.test(value);

/** The page a chat was opened from: an absolute http(s) URL, as the widget read it, at most 2048 characters. */
function pageUrl() {
  return v.pipe(
    v.string('page_url must be a string'),
    v.check(wellFormed, 'page_url must be valid Unicode text'),
    v.maxLength(2048, 'page_url must be at most 2048 characters'),
    v.check(
      (value) => noControls(value) && !/\s/.test(value),
      'page_url must not contain spaces or controls',
    ),
    v.check((value) => {
      const url = URL.parse(value);
      return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
    }, 'page_url must be an http or https URL'),
  );
}

/**
 * A display name: 1 to 80 characters once trimmed, visible, without control characters or bidi controls. The
 * profile route and identity tokens (lambdas/runtime/identity-secret.ts) check names with this one schema.
 */
export const displayName = v.pipe(
  v.string('name must be a string'),
  v.check(wellFormed, 'name must be valid Unicode text'),
  v.transform((value) => value.trim()),
  v.check(noControls, 'name must not contain control characters'),
  v.check(noBidiControls, 'name must not contain bidi controls'),
  v.check(visible, 'name must not be empty'),
  v.check(
    (value) => characters(value) <= NAME_MAX_CHARS,
    `name must be at most ${NAME_MAX_CHARS} characters`,
  ),
);

/** An email address, checked loosely: one @ with something either side, no spaces, at most 254 characters. */
export const emailAddress = v.pipe(
  v.string('email must be a string'),
  v.check(wellFormed, 'email must be valid Unicode text'),
  v.transform((value) => value.trim()),
  v.maxLength(254, 'email must be at most 254 characters'),
  v.regex(/^[^@\s\p{Cc}]+@[^@\s\p{Cc}]+$/u, 'email must be an address such as name@example.com'),
);

/** `POST /api/chat/profile/`: what the caller says about themselves; an absent field stays as it is. */
export const profileBody = v.object({
  name: v.optional(displayName),
  email: v.optional(emailAddress),
});

export const createRoomBody = v.object({
  room_type: v.optional(
    v.pipe(
      v.string('room_type must be a string'),
      v.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'room_type must be 1 to 32 lowercase letters, digits, - or _'),
    ),
    'general',
  ),
  subject: v.optional(
    v.pipe(
      v.string('subject must be a string'),
      v.check(wellFormed, 'subject must be valid Unicode text'),
      v.transform((value) => value.trim()),
      v.check((value) => characters(value) <= 200, 'subject must be at most 200 characters'),
    ),
    '',
  ),
  page_url: v.optional(pageUrl()),
});

export const sendMessageBody = (maxLength: number) =>
  v.pipe(
    v.object({
      content: textBesideAttachments(maxLength),
      client_message_id: v.optional(clientMessageId),
      attachments: v.optional(attachmentIds),
      visibility: v.optional(visibility),
    }),
    contentOrAttachments(),
  );

export const markReadBody = v.object({ message_id: v.optional(messageId('message_id')) });

/** Query string values arrive as strings. */
const integerParam = (field: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,15}$/, `${field} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${field} must be at least ${min}`),
    v.maxValue(max, `${field} must be at most ${max}`),
  );

export const roomListQuery = v.object({
  limit: v.optional(integerParam('limit', 1, 100), '20'),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(2048, 'cursor is too long'))),
});

export const historyQuery = v.object({
  limit: v.optional(integerParam('limit', 1, 100), '50'),
  before: v.optional(integerParam('before', 1, Number.MAX_SAFE_INTEGER)),
  after: v.optional(integerParam('after', 0, Number.MAX_SAFE_INTEGER)),
});

// Client frames. Route selection has already picked the handler by `type`; room_id is optional and defaults
// to the room the socket was opened for.
export const messageFrame = (maxLength: number) =>
  v.pipe(
    v.object({
      type: v.literal('message'),
      content: textBesideAttachments(maxLength),
      room_id: v.optional(roomId),
      client_message_id: v.optional(clientMessageId),
      attachments: v.optional(attachmentIds),
      visibility: v.optional(visibility),
    }),
    contentOrAttachments(),
  );

export const typingFrame = v.object({
  type: v.literal('typing'),
  is_typing: v.boolean('is_typing must be true or false'),
  room_id: v.optional(roomId),
});

export const readFrame = v.object({
  type: v.literal('read'),
  message_id: messageId('message_id'),
  room_id: v.optional(roomId),
});

/**
 * `{"type":"subscribe","room_id":"…"}` follows one room; `{"type":"subscribe","queue":true}` (staff) follows
 * every open room's messages, typing and read receipts at once: the staff queue.
 */
export const subscriptionFrame = v.pipe(
  v.object({
    type: v.picklist(['subscribe', 'unsubscribe']),
    room_id: v.optional(roomId),
    queue: v.optional(v.literal(true, 'queue must be true')),
  }),
  v.check(
    (frame) => (frame.room_id === undefined) !== (frame.queue === undefined),
    'Give either room_id or "queue": true',
  ),
);

/** Room ids are UUIDs; anything else names no room, and gets as far as a 404 and no further. */
const ROOM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A room id from a path, a frame or a URL; a malformed one is an unknown room (404). */
export function checkedRoomId(roomId: string): string {
  if (!ROOM_ID.test(roomId)) throw roomNotFound();
  return roomId;
}

/** Parses `input` or throws a 400 that names every field at fault. */
export function parse<const S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const details: FieldIssue[] = result.issues.map((issue) => ({
    field: v.getDotPath(issue) ?? '(body)',
    message: issue.message,
  }));
  const first = details[0];
  throw new BadRequest(first ? `${first.message}` : 'Invalid request', 'invalid_request', details);
}

/** Parses a JSON text, or throws a 400 `invalid_json`. */
export function parseJson(text: string | undefined | null): unknown {
  if (text === undefined || text === null || text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('Body is not valid JSON', 'invalid_json');
  }
}

/**
 * A file name as people see it: 1 to 200 characters, no controls, no bidi controls (`invoice\u202Efdp.exe`
 * shows as "invoiceexe.pdf"), no path separators.
 */
const fileName = v.pipe(
  v.string('name must be a string'),
  v.check(wellFormed, 'name must be valid Unicode text'),
  v.transform((value) => value.trim()),
  v.check(noControls, 'name must not contain control characters'),
  v.check(noBidiControls, 'name must not contain bidi controls'),
  v.check((value) => !/[/\\]/.test(value), 'name must not contain / or \\'),
  v.check(visible, 'name must not be empty'),
  v.check((value) => characters(value) <= 200, 'name must be at most 200 characters'),
);

/** `POST /api/chat/rooms/{id}/attachments/`: what the browser is about to upload. */
export const createAttachmentBody = v.object({
  name: fileName,
  size: v.pipe(
    v.number('size must be a number'),
    v.safeInteger('size must be a whole number of bytes'),
    v.minValue(1, 'size must be at least 1 byte'),
  ),
  content_type: v.pipe(
    v.string('content_type must be a string'),
    v.maxLength(255, 'content_type is too long'),
  ),
  /** Images: whether the browser will also post a thumbnail (a JPEG of at most 320 px). */
  thumbnail: v.optional(v.boolean('thumbnail must be true or false')),
});

export const attachmentQuery = v.object({
  variant: v.optional(v.picklist(['file', 'thumbnail'], 'variant must be file or thumbnail'), 'file'),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An attachment id from a path; a malformed one names nothing (404). */
export function checkedAttachmentId(id: string | undefined): string {
  if (id === undefined || !UUID.test(id)) throw new NotFound('Attachment not found', 'attachment_not_found');
  return id;
}
