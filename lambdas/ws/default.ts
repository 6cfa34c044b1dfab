import { webSocketRoutes } from '../contract/routes.js';
import { BadRequest } from '../domain/errors.js';
import { parseJson } from '../protocol/schemas.js';
import { wsRoute } from '../runtime/ws.js';

const frameTypes = webSocketRoutes.map((route) => route.routeKey).filter((key) => !key.startsWith('$'));

/** `$default`: whatever route selection could not place: not JSON, no `type`, or an unknown `type`. */
export const handler = wsRoute(async (request) => {
  const body = parseJson(request.event.body);
  const type =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') {
    throw new BadRequest(
      `A frame is a JSON object with a "type": one of ${frameTypes.join(', ')}`,
      'unknown_frame_type',
    );
  }
  throw new BadRequest(
    `Unknown frame type "${type}": use one of ${frameTypes.join(', ')}`,
    'unknown_frame_type',
  );
});
