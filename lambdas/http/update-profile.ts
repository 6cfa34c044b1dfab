import { updateMyProfile } from '../domain/people.js';
import { profileJson } from '../protocol/json.js';
import { profileBody } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/**
 * POST /api/chat/profile/ {name?, email?}: the caller says who they are; a customer's open rooms show the new
 * name (and the queue hears of it through the stream). 409 `profile_verified` for a field a host site's
 * identity token set.
 */
export const handler = httpHandler(async (request) => {
  const { name, email } = request.body(profileBody);
  return json(200, profileJson(await updateMyProfile(queryDeps, request.actor, { name, email })));
});
