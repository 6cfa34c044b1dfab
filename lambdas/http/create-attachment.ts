import { createAttachment } from '../domain/attachments.js';
import { attachmentJson } from '../protocol/json.js';
import { createAttachmentBody } from '../protocol/schemas.js';
import { attachmentDeps } from '../runtime/attachment-deps.js';
import { config, documentClient } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';
import { DynamoRateLimiter } from '../storage/rate-limiter.js';

/** The sender's message limit, without the push side: this route tells no socket anything. */
const limits = {
  limiter: new DynamoRateLimiter(documentClient, config.tableName),
  limits: config.rateLimits,
};

/**
 * POST /api/chat/rooms/{id}/attachments/ `{"name", "size", "content_type", "thumbnail"?}`: 201 with the
 * attachment and the presigned POST (`upload.url`, `upload.fields`: post them, then the file, as
 * multipart/form-data) that the bucket accepts for five minutes, for exactly that size and type; with
 * `thumbnail: true` (images) a second one for the thumbnail. 413 too large, 415 not on the list.
 */
export const handler = httpHandler(async (request) => {
  const body = request.body(createAttachmentBody);
  const created = await createAttachment(
    { ...(await attachmentDeps()), ...limits },
    request.actor,
    request.roomId(),
    { name: body.name, size: body.size, contentType: body.content_type, thumbnail: body.thumbnail },
  );
  return json(201, {
    attachment: { ...attachmentJson(created.attachment), created_at: created.attachment.createdAt },
    upload: created.upload,
    ...(created.thumbnailUpload ? { thumbnail_upload: created.thumbnailUpload } : {}),
    expires_in: created.expiresIn,
  });
});
