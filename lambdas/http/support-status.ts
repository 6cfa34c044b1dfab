import { supportStatusJson } from '../protocol/json.js';
import { supportStatus } from '../runtime/command-deps.js';
import { publicHttpHandler } from '../runtime/http.js';

/**
 * GET /api/chat/support-status/: whether anyone from support is online, `{"online": true, "checked_at": …}`.
 * Public (no token: visitors ask before they have a session) and the same for everyone, so CloudFront keeps
 * it for what is left of the container's shared reading (`max-age`): N widgets cost one reading of staff
 * presence per few seconds, not N.
 */
export const handler = publicHttpHandler(async () => {
  const reading = await supportStatus.read();
  const maxAge = Math.max(0, Math.floor((reading.freshUntil - Date.now()) / 1000));
  return {
    status: 200,
    body: supportStatusJson(reading),
    // CloudFront keeps it (`s-maxage`); browsers ask again each poll, so the edge's answer is the one they see.
    headers: { 'cache-control': `public, max-age=0, s-maxage=${maxAge}` },
  };
});
