import { sendWithAttachments } from '../domain/attachments.js';
import { sendMessage } from '../domain/chat.js';
import { requireFollowing } from '../domain/connections.js';
import { sendNote } from '../domain/notes.js';
import { frames } from '../protocol/frames.js';
import { messageJson } from '../protocol/json.js';
import { messageFrame } from '../protocol/schemas.js';
import { attachmentDeps } from '../runtime/attachment-deps.js';
import { commandDeps } from '../runtime/command-deps.js';
import { config } from '../runtime/deps.js';
import { noteDeps } from '../runtime/note-deps.js';
import { wsRoute } from '../runtime/ws.js';

const schema = messageFrame(config.maxMessageLength);

/**
 * `{"type":"message","content":"…","room_id"?,"client_message_id"?}`: stores the message, pushes it to the
 * room's sockets, and answers the sender with an `ack` carrying the stored message. With
 * `"visibility":"internal"` (staff only) it is a note: the `ack` carries it as `note` instead of `message`,
 * so a client that only knows messages never files a note among them.
 */
export const handler = wsRoute(async (request) => {
  const frame = request.frame(schema);
  const roomId = request.roomOf(frame);
  await requireFollowing(commandDeps, roomId, request.connectionId);
  const input = { content: frame.content, clientMessageId: frame.client_message_id };
  if (frame.visibility === 'internal') {
    const { note, created } = await sendNote(noteDeps, request.actor, roomId, input);
    await request.reply({
      type: 'ack',
      data: { client_message_id: note.clientMessageId, duplicate: !created, note: messageJson(note) },
    });
    return;
  }
  const { message, created } = frame.attachments?.length
    ? await sendWithAttachments({ ...commandDeps, ...(await attachmentDeps()) }, request.actor, roomId, {
        ...input,
        attachmentIds: frame.attachments,
      })
    : await sendMessage(commandDeps, request.actor, roomId, input);
  await request.reply(frames.ack(message, !created));
});
