import { ChatGatewayError } from './errors.js';
import type { ServerFrame } from './wire.js';

/** What a text frame from the server is. */
export type IncomingFrame =
  | { readonly kind: 'frame'; readonly frame: ServerFrame }
  | { readonly kind: 'gateway_error'; readonly error: ChatGatewayError }
  | { readonly kind: 'unknown' };

/**
 * API Gateway's own answers, which come instead of the route's and have no `type`:
 *
 * - `{"message": "Too Many Requests", "connectionId": "…", "requestId": "…"}` when the frame is over the
 *   route's, stage's or account's throttling limit (a token bucket; "clients may receive 429 Too Many
 *   Requests error responses … the client can resubmit the failed requests in a way that is rate limiting":
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-protect.html);
 * - `{"message": "Internal server error", "connectionId": "…", "requestId": "…"}` when the integration fails
 *   (the Lambda invocation is refused, the function throws or times out: "the body of the response from API
 *   Gateway is {"message": "Internal server error"}",
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html; the WebSocket frame adds
 *   `connectionId` and `requestId`, as seen in `wscat` transcripts against deployed APIs, e.g.
 *   `{"message": "Internal server error", "connectionId":"Qyi07eCbtjMCJKw=", "requestId":"Qyi3UG41tjMFlUg="}`);
 * - `{"message": "Forbidden", "connectionId": "…", "requestId": "…"}` for a frame no route (and no
 *   `$default`) takes (the same shape, seen in Lambda code that mimics API Gateway's frames).
 *
 * AWS documents the throttling (429, "Too Many Requests") but not the WebSocket frame's exact bytes; the
 * throttled frame is taken to have the shape of the two observed ones. So the client keys on the absence of
 * `type` and the presence of a string `message`, and treats an unknown `message` as a retryable
 * `gateway_error` rather than ignoring it. None of them says which frame it answers.
 */
const GATEWAY_CODES: Readonly<Record<string, string>> = {
  'Too Many Requests': 'throttled',
  'Internal server error': 'internal_error',
  Forbidden: 'forbidden',
};

/** Reads one text frame: a typed server frame, an API Gateway error frame, or something else (ignored). */
export function readFrame(data: unknown): IncomingFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(data));
  } catch {
    return { kind: 'unknown' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'unknown' };
  const record = parsed as Record<string, unknown>;
  if (typeof record.type === 'string') return { kind: 'frame', frame: record as unknown as ServerFrame };
  if (typeof record.message !== 'string') return { kind: 'unknown' };
  const code = GATEWAY_CODES[record.message] ?? 'gateway_error';
  const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
  const connectionId = typeof record.connectionId === 'string' ? record.connectionId : undefined;
  return {
    kind: 'gateway_error',
    error: new ChatGatewayError(code, record.message, requestId, connectionId),
  };
}
