import type { NoteEvents } from '../domain/notes.js';
import type { ChatStore } from '../domain/ports.js';
import { type Message, Role } from '../domain/types.js';
import type { Frame } from '../protocol/frames.js';
import { messageJson } from '../protocol/json.js';
import type { Pusher, Target } from './pusher.js';

/** `{"type":"note","data":{…the message's fields…, "visibility":"internal"}}`: staff sockets only. */
export const noteFrame = (note: Message): Frame => ({ type: 'note', data: { ...messageJson(note) } });

/**
 * Pushes a note to the staff sockets that follow its room: the room's subscriptions (the one Query a message's
 * fan-out makes), with every customer socket left out before anything is posted. The role is the one the
 * socket's verified token gave when it subscribed, never anything a frame said.
 */
export class PushNoteEvents implements NoteEvents {
  constructor(
    private readonly store: ChatStore,
    private readonly pusher: Pusher,
  ) {}

  async noteCreated(note: Message): Promise<void> {
    const followers = await this.store.listSubscriptions(note.roomId);
    const staff: Target[] = followers
      .filter((socket) => socket.role === Role.staff)
      .map(({ connectionId, userId, role, connectedAt }) => ({
        connectionId,
        userId,
        role,
        connectedAt,
        foundBy: [{ kind: 'subscription', roomId: note.roomId }],
      }));
    await this.pusher.send(staff, noteFrame(note));
  }
}
