import { onlineStaff } from '../domain/connections.js';
import { onlineStaffJson } from '../protocol/json.js';
import { commandDeps, staffPresence } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/**
 * GET /api/chat/online-staff/: staff members with at least one live socket. Pushes (and needs the management
 * API) because it checks the sockets it lists and forgets the dead ones, announcing "offline" for them.
 * `checked_at` is taken before the read, so a presence frame decided after it is newer than the list.
 */
export const handler = httpHandler(async () => {
  const checkedAt = Date.now();
  const users = await onlineStaff({ ...commandDeps, presence: staffPresence });
  return json(200, onlineStaffJson(users, checkedAt));
});
