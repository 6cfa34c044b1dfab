import { type Signal, signal } from '@preact/signals';
import { listNotes, sendNote } from '../../client/staff-http.js';
import type { Message } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';
import { LinkedText } from '../shared/links.js';
import { formatTime } from '../shared/ui.js';

/** Notes read when a room opens: a room's notes are few, and older ones come with "Show earlier messages". */
const NOTES_PAGE = 100;

/**
 * The internal notes of the rooms the console shows: read over HTTP when a room opens (and again after the
 * socket re-subscribes, since a note pushed while it was away is not caught up by the message sync), kept live
 * by the socket's `note` frames, which only staff sockets ever get. Each note once, by id, in id order.
 */
export class StaffNotes {
  private readonly rooms = new Map<string, Signal<readonly Message[]>>();
  /** Why the last note could not be sent, per room; empty when it was. */
  readonly errors = new Map<string, Signal<string>>();

  constructor(private readonly app: ChatApp) {
    app.socket.on('note', (note) => this.add(note.room_id, [note]));
    app.socket.on('room', (event) => {
      if (event.event === 'subscribed' && this.rooms.has(event.room_id)) void this.load(event.room_id);
    });
  }

  of(roomId: string): Signal<readonly Message[]> {
    let notes = this.rooms.get(roomId);
    if (!notes) {
      notes = signal<readonly Message[]>([]);
      this.rooms.set(roomId, notes);
    }
    return notes;
  }

  errorOf(roomId: string): Signal<string> {
    let error = this.errors.get(roomId);
    if (!error) {
      error = signal('');
      this.errors.set(roomId, error);
    }
    return error;
  }

  async load(roomId: string): Promise<void> {
    this.of(roomId);
    try {
      const page = await listNotes(this.app.http, roomId, { limit: NOTES_PAGE });
      this.add(roomId, page.results);
    } catch (error) {
      this.app.report(error);
    }
  }

  /** Sends a note over HTTP; it shows once stored (the answer or the socket's frame, whichever comes first). */
  send(roomId: string, content: string): void {
    const error = this.errorOf(roomId);
    error.value = '';
    sendNote(this.app.http, roomId, content, `note-${crypto.randomUUID()}`)
      .then((note) => this.add(roomId, [note]))
      .catch((reason: unknown) => {
        error.value = `The note was not saved: ${reason instanceof Error ? reason.message : String(reason)}`;
      });
  }

  private add(roomId: string, notes: readonly Message[]): void {
    if (notes.length === 0) return;
    const list = this.of(roomId);
    const byId = new Map(list.value.map((note) => [note.id, note]));
    for (const note of notes) byId.set(note.id, note);
    list.value = [...byId.values()].sort((a, b) => a.id - b.id);
  }
}

/** One note among the messages: marked as internal in words (not by colour alone) and styled apart. */
export function NoteRow({ note, sender }: { note: Message; sender: string }) {
  return (
    <li class="message note staff" data-note-id={note.id} aria-label={`Internal note by ${sender}`}>
      <div class="meta">
        <span class="tag note-tag">Internal note</span>
        <span class="sender">{sender}</span>
        <time dateTime={note.created_at}>{formatTime(note.created_at)}</time>
      </div>
      <p class="bubble">
        <LinkedText content={note.content} />
      </p>
    </li>
  );
}
