import { getMyProfile } from '../domain/people.js';
import { profileJson } from '../protocol/json.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/profile/: the caller's display name and email, and whether a host site vouched for them. */
export const handler = httpHandler(async (request) =>
  json(200, profileJson(await getMyProfile(queryDeps, request.actor))),
);
