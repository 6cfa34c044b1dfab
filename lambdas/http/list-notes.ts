import { listNotes } from '../domain/notes.js';
import { messagePageJson } from '../protocol/json.js';
import { historyQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';
import { noteStore } from '../runtime/note-reads.js';

/**
 * GET /api/chat/rooms/{id}/notes/?limit&before|after: the room's internal notes (staff only; customers 403),
 * paged by note id like history.
 */
export const handler = httpHandler(async (request) => {
  const query = request.query(historyQuery);
  const page = await listNotes({ ...queryDeps, notes: noteStore }, request.actor, request.roomId(), query);
  return json(200, messagePageJson(page));
});
