import { sendWithAttachments } from '../domain/attachments.js';
import { sendMessage } from '../domain/chat.js';
import { sendNote } from '../domain/notes.js';
import { messageJson } from '../protocol/json.js';
import { sendMessageBody } from '../protocol/schemas.js';
import { attachmentDeps } from '../runtime/attachment-deps.js';
import { commandDeps } from '../runtime/command-deps.js';
import { config } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';
import { noteDeps } from '../runtime/note-deps.js';

const body = sendMessageBody(config.maxMessageLength);

/**
 * POST /api/chat/rooms/{id}/send_message/: stores the message and pushes it to the room's sockets.
 * 201 when stored; 200 with the stored message when the client_message_id was already used (a resend).
 * With `"visibility": "internal"` (staff only) it is a note instead: numbered apart, pushed to staff alone.
 */
export const handler = httpHandler(async (request) => {
  const { content, client_message_id, visibility, attachments } = request.body(body);
  const input = { content, clientMessageId: client_message_id };
  if (visibility === 'internal') {
    const { note, created } = await sendNote(noteDeps, request.actor, request.roomId(), input);
    return json(created ? 201 : 200, messageJson(note));
  }
  const { message, created } = attachments?.length
    ? await sendWithAttachments(
        { ...commandDeps, ...(await attachmentDeps()) },
        request.actor,
        request.roomId(),
        {
          ...input,
          attachmentIds: attachments,
        },
      )
    : await sendMessage(commandDeps, request.actor, request.roomId(), input);
  return json(created ? 201 : 200, messageJson(message));
});
