import { BadRequest } from '../domain/errors.js';
import { listCustomerHistory } from '../domain/history.js';
import { historyPageJson } from '../protocol/json.js';
import { roomListQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';
import { isUsableUserId } from '../runtime/identity.js';

/**
 * GET /api/chat/customers/{id}/rooms/: one customer's conversations, newest first, closed ones included
 * (staff only). `{id}` is the customer's user id, percent-encoded in the path (`guest%3A…`).
 */
export const handler = httpHandler(async (request) => {
  const customerId = request.event.pathParameters?.id ?? '';
  // What no token could name is nobody's id: a 400 rather than a key DynamoDB would refuse.
  if (!isUsableUserId(customerId)) throw new BadRequest('Not a user id', 'invalid_customer_id');
  const { limit, cursor } = request.query(roomListQuery);
  return json(
    200,
    historyPageJson(await listCustomerHistory(queryDeps, request.actor, customerId, { limit, cursor })),
  );
});
