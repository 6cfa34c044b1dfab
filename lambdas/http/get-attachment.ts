import { attachmentDownload } from '../domain/attachments.js';
import { attachmentJson } from '../protocol/json.js';
import { attachmentQuery, checkedAttachmentId } from '../protocol/schemas.js';
import { attachmentDeps } from '../runtime/attachment-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/**
 * GET /api/chat/rooms/{id}/attachments/{attachment_id}/[?variant=thumbnail]: a download URL that works for
 * five minutes, for the room's customer and staff (another customer: 404). Images come inline with their own
 * type, everything else as a download.
 */
export const handler = httpHandler(async (request) => {
  const { variant } = request.query(attachmentQuery);
  const download = await attachmentDownload(
    await attachmentDeps(),
    request.actor,
    request.roomId(),
    checkedAttachmentId(request.event.pathParameters?.attachment_id),
    variant,
  );
  return json(200, {
    attachment: attachmentJson(download.attachment),
    url: download.url,
    expires_in: download.expiresIn,
  });
});
