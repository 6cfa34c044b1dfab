import type { NoteDeps } from '../domain/notes.js';
import { PushNoteEvents } from '../push/note-events.js';
import { commandDeps, pusher } from './command-deps.js';
import { store } from './deps.js';
import { noteStore } from './note-reads.js';

/** What sending a note needs: the command deps (limits, the store) plus the notes and their staff-only push. */
export const noteDeps: NoteDeps = {
  ...commandDeps,
  notes: noteStore,
  noteEvents: new PushNoteEvents(store, pusher),
};
