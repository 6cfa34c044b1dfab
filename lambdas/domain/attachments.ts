import { randomUUID } from 'node:crypto';
import { type ChatCommandDeps, type ChatDeps, type SendResult, sendMessage } from './chat.js';
import { AppError, BadRequest, Conflict, Forbidden, NotFound, roomClosed, roomNotFound } from './errors.js';
import { Limit, type LimitDeps, spend } from './limits.js';
import { type Actor, type MessageAttachment, Role, RoomStatus } from './types.js';

/**
 * Attachments: files and images in messages. The bytes never pass through a function: the browser posts them
 * straight to a private S3 bucket with a presigned POST whose policy binds the object's key, its size range
 * and its content type, and reads them back through a presigned GET handed only to those who may see the
 * room. What the table keeps is a small attachment item per upload, in the room's partition, and on each
 * message the list of attachments it cites.
 *
 * Lifecycle: an upload is tagged `state=unsent` by its own policy, and the bucket expires objects with that
 * tag after a day; a send that cites it re-tags it `state=sent`, which is also how a send learns that the
 * upload happened at all (tagging a missing object fails with NoSuchKey). So unreferenced uploads go away
 * by themselves, and a message cannot cite an upload that never arrived.
 */

/** What may be uploaded, by content type; `image` types are shown inline and get a thumbnail. */
export const ALLOWED_TYPES = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/webp': 'image',
  'image/gif': 'image',
  'application/pdf': 'file',
  'text/plain': 'file',
  'text/csv': 'file',
  'application/zip': 'file',
  'application/msword': 'file',
  'application/vnd.ms-excel': 'file',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'file',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'file',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'file',
  'audio/mpeg': 'file',
  'video/mp4': 'file',
} as const;
export type AllowedType = keyof typeof ALLOWED_TYPES;

/**
 * Types a browser would run or render as a document of our origin's neighbour (HTML, SVG, XML, JavaScript)
 * are not on the list, and never will be: an SVG served inline is a script.
 */
export const isAllowedType = (type: string): type is AllowedType => Object.hasOwn(ALLOWED_TYPES, type);
export const isImage = (type: string) => isAllowedType(type) && ALLOWED_TYPES[type] === 'image';

/** A thumbnail is a small JPEG the browser drew (at most 320 px on its longer side). */
export const THUMBNAIL_TYPE = 'image/jpeg';
export const ATTACHMENT_LIMITS = {
  /** The default of `ATTACHMENT_MAX_BYTES`. */
  maxBytes: 10 * 1024 * 1024,
  /** A 320 px JPEG is 10-40 KB; this leaves room for a busy screenshot without admitting a real image. */
  thumbnailMaxBytes: 256 * 1024,
  thumbnailMaxPixels: 320,
  perMessage: 10,
  nameMaxChars: 200,
  /** How long a presigned POST accepts the upload. */
  uploadSeconds: 5 * 60,
  /** How long a presigned download URL works. */
  downloadSeconds: 5 * 60,
} as const;

/** One upload, as its attachment item keeps it. */
export interface Attachment {
  readonly id: string;
  readonly roomId: string;
  readonly uploaderId: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: AllowedType;
  /** Whether a thumbnail was asked for (images only); it exists once uploaded. */
  readonly hasThumbnail: boolean;
  readonly createdAt: string;
}

export const attachmentRef = (a: Attachment): MessageAttachment => ({
  id: a.id,
  name: a.name,
  size: a.size,
  contentType: a.contentType,
  hasThumbnail: a.hasThumbnail,
});

export type FileVariant = 'file' | 'thumbnail';

/** Where an upload goes: a form for the browser to post to `url`, with `fields` before the file. */
export interface PresignedUpload {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The attachment items (lambdas/storage/attachment-store.ts). */
export interface AttachmentStore {
  putAttachment(attachment: Attachment): Promise<void>;
  /** The attachments of `roomId` with these ids that exist (any order). */
  getAttachments(roomId: string, ids: readonly string[]): Promise<Attachment[]>;
}

/** The bucket (lambdas/storage/s3-files.ts; locally the same code against local/s3.ts). */
export interface FileStore {
  presignUpload(
    attachment: Attachment,
    variant: FileVariant,
    rule: { readonly contentType: string; readonly maxBytes: number },
    expiresInSeconds: number,
  ): Promise<PresignedUpload>;
  presignDownload(
    attachment: Attachment,
    variant: FileVariant,
    response: { readonly contentType: string; readonly disposition: string },
    expiresInSeconds: number,
  ): Promise<string>;
  /** Tags the upload as cited by a message (so it no longer expires); `missing` if it was never uploaded. */
  markSent(attachment: Attachment, variant: FileVariant): Promise<'sent' | 'missing'>;
}

export interface AttachmentDeps extends ChatDeps {
  readonly attachments: AttachmentStore;
  readonly files: FileStore;
  /** The largest file accepted (`ATTACHMENT_MAX_BYTES`). */
  readonly maxBytes: number;
}

export interface NewAttachment {
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  /** Images: the browser's thumbnail that will be posted beside the file. */
  readonly thumbnail?: boolean | undefined;
}

export interface CreatedAttachment {
  readonly attachment: Attachment;
  readonly upload: PresignedUpload;
  readonly thumbnailUpload: PresignedUpload | null;
  readonly expiresIn: number;
}

export const attachmentNotFound = () => new NotFound('Attachment not found', 'attachment_not_found');

/**
 * Someone who may write in an open room asks to upload a file there: the caller's room (customers) or any
 * room (staff). Checked here (size, type, name) and bound again by the upload's policy, which S3 enforces:
 * a browser that lies about the size or the type is refused by the bucket, not trusted by us. Counts as a
 * message against the sender's limit, since each one costs a write and may cost 10 MB of storage for a day.
 */
export async function createAttachment(
  deps: AttachmentDeps & LimitDeps,
  actor: Actor,
  roomId: string,
  input: NewAttachment,
): Promise<CreatedAttachment> {
  const room = await deps.store.getRoom(roomId);
  if (!room || (actor.role !== Role.staff && room.customerId !== actor.userId)) throw roomNotFound();
  if (room.status !== RoomStatus.open) throw roomClosed();
  if (!isAllowedType(input.contentType)) {
    throw new AppError(
      415,
      'unsupported_type',
      `Files of type ${input.contentType} cannot be attached; allowed: ${Object.keys(ALLOWED_TYPES).join(', ')}`,
    );
  }
  if (input.size > deps.maxBytes) {
    throw new AppError(413, 'file_too_large', `Files may be at most ${deps.maxBytes} bytes`);
  }
  if (input.thumbnail && !isImage(input.contentType)) {
    throw new BadRequest('Only images have thumbnails', 'invalid_request', [
      { field: 'thumbnail', message: 'Only images have thumbnails' },
    ]);
  }
  await spend(deps, actor, Limit.messages, actor.userId, nowOf(deps).getTime());
  const attachment: Attachment = {
    id: randomUUID(),
    roomId,
    uploaderId: actor.userId,
    name: input.name,
    size: input.size,
    contentType: input.contentType,
    hasThumbnail: input.thumbnail === true,
    createdAt: nowOf(deps).toISOString(),
  };
  await deps.attachments.putAttachment(attachment);
  const expiresIn = ATTACHMENT_LIMITS.uploadSeconds;
  const [upload, thumbnailUpload] = await Promise.all([
    deps.files.presignUpload(
      attachment,
      'file',
      { contentType: attachment.contentType, maxBytes: attachment.size },
      expiresIn,
    ),
    input.thumbnail
      ? deps.files.presignUpload(
          attachment,
          'thumbnail',
          { contentType: THUMBNAIL_TYPE, maxBytes: ATTACHMENT_LIMITS.thumbnailMaxBytes },
          expiresIn,
        )
      : null,
  ]);
  return { attachment, upload, thumbnailUpload, expiresIn };
}

export interface Download {
  readonly attachment: Attachment;
  readonly url: string;
  readonly expiresIn: number;
}

/**
 * A short-lived download URL, for whoever may see the room (its customer, any staff member); another
 * customer learns nothing (404, as for the room itself). Images are shown inline with their own type;
 * everything else downloads (`Content-Disposition: attachment`) as `application/octet-stream`, so that no
 * browser renders it as a page whatever its bytes are.
 */
export async function attachmentDownload(
  deps: AttachmentDeps,
  actor: Actor,
  roomId: string,
  attachmentId: string,
  variant: FileVariant,
): Promise<Download> {
  const [room, found] = await Promise.all([
    deps.store.getRoom(roomId),
    deps.attachments.getAttachments(roomId, [attachmentId]),
  ]);
  if (!room || (actor.role !== Role.staff && room.customerId !== actor.userId)) throw roomNotFound();
  const attachment = found[0];
  if (!attachment || (variant === 'thumbnail' && !attachment.hasThumbnail)) throw attachmentNotFound();
  const inline = isImage(attachment.contentType);
  const response =
    variant === 'thumbnail'
      ? { contentType: THUMBNAIL_TYPE, disposition: 'inline' }
      : {
          contentType: inline ? attachment.contentType : 'application/octet-stream',
          disposition: `${inline ? 'inline' : 'attachment'}; ${dispositionFilename(attachment.name)}`,
        };
  const expiresIn = ATTACHMENT_LIMITS.downloadSeconds;
  const url = await deps.files.presignDownload(attachment, variant, response, expiresIn);
  return { attachment, url, expiresIn };
}

/**
 * RFC 6266: `filename` for old clients (ASCII, quotes and backslashes replaced) and `filename*` for the
 * real name, percent-encoded as UTF-8.
 */
export function dispositionFilename(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export interface NewMessageWithAttachments {
  readonly content: string;
  readonly clientMessageId?: string | null | undefined;
  readonly attachmentIds: readonly string[];
}

/**
 * Sends a message that cites attachments: each must have been uploaded to this room by the sender (not by
 * someone else, not to another room) and must have arrived in the bucket. Then the message is sent as any
 * other (`sendMessage`), carrying the attachments' names, sizes and types, so history and frames need no
 * further read.
 */
export async function sendWithAttachments(
  deps: ChatCommandDeps & AttachmentDeps,
  actor: Actor,
  roomId: string,
  input: NewMessageWithAttachments,
): Promise<SendResult> {
  const ids = [...new Set(input.attachmentIds)];
  if (ids.length === 0) return sendMessage(deps, actor, roomId, input);
  const found = new Map((await deps.attachments.getAttachments(roomId, ids)).map((a) => [a.id, a]));
  const cited = ids.map((id) => {
    const attachment = found.get(id);
    if (!attachment) throw new BadRequest(`No attachment ${id} in this room`, 'unknown_attachment');
    if (attachment.uploaderId !== actor.userId) {
      throw new Forbidden('A message may only cite attachments its sender uploaded', 'attachment_not_yours');
    }
    return attachment;
  });
  const results = await Promise.all(
    cited.flatMap((a) => [
      deps.files.markSent(a, 'file').then((state) => ({ a, state, variant: 'file' as const })),
      ...(a.hasThumbnail
        ? [deps.files.markSent(a, 'thumbnail').then((state) => ({ a, state, variant: 'thumbnail' as const }))]
        : []),
    ]),
  );
  const missing = results.find((r) => r.state === 'missing' && r.variant === 'file');
  if (missing) {
    throw new Conflict(
      `${missing.a.name} has not been uploaded (or its upload failed)`,
      'attachment_not_uploaded',
    );
  }
  // A thumbnail that never arrived (the browser could not draw one) leaves the image without a preview.
  const noThumbnail = new Set(results.filter((r) => r.state === 'missing').map((r) => r.a.id));
  return sendMessage(deps, actor, roomId, {
    content: input.content,
    clientMessageId: input.clientMessageId,
    attachments: cited.map((a) => ({
      ...attachmentRef(a),
      hasThumbnail: a.hasThumbnail && !noThumbnail.has(a.id),
    })),
  });
}

const nowOf = (deps: ChatDeps) => (deps.now ? deps.now() : new Date());
