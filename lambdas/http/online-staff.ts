import { onlineStaff } from '../domain/chat.js';
import { onlineStaffJson } from '../protocol/json.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/online-staff/: staff members with at least one live socket. */
export const handler = httpHandler(async () => json(200, onlineStaffJson(await onlineStaff(queryDeps))));
