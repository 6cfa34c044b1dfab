import { ChatError, ChatGatewayError } from './errors.js';
import type { RoomSummary, ServerFrame } from './wire.js';

/** What a text frame from the server is. */
export type IncomingFrame =
  /** `invalid`: entries of the frame were left out (a `queue` frame's malformed summaries), and why. */
  | { readonly kind: 'frame'; readonly frame: ServerFrame; readonly invalid?: ChatError }
  | { readonly kind: 'gateway_error'; readonly error: ChatGatewayError }
  /** A frame of a known type whose data does not have its shape: `invalid_frame`, saying why. */
  | { readonly kind: 'invalid'; readonly error: ChatError }
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
  if (record.type === 'queue') return readQueueFrame(record.data);
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

/**
 * A `queue` frame is the one whose data the client keeps and compares (versions, read pointers, typing), so
 * each summary is checked field by field: a malformed one is left out (and said why), the others are kept.
 */
function readQueueFrame(data: unknown): IncomingFrame {
  const rooms = isRecord(data) ? data.rooms : undefined;
  if (!Array.isArray(rooms))
    return { kind: 'invalid', error: invalidFrame(['`data.rooms` is not an array']) };
  const valid: RoomSummary[] = [];
  const rejected: string[] = [];
  for (const [index, room] of rooms.entries()) {
    const problem = summaryProblem(room);
    if (problem) rejected.push(`rooms[${index}]: ${problem}`);
    else valid.push(room as RoomSummary);
  }
  const frame: ServerFrame = { type: 'queue', data: { rooms: valid } };
  return rejected.length > 0
    ? { kind: 'frame', frame, invalid: invalidFrame(rejected) }
    : { kind: 'frame', frame };
}

const invalidFrame = (reasons: readonly string[]) =>
  new ChatError('invalid_frame', `Ignored in a queue frame: ${reasons.join('; ')}`);

type Check = (value: unknown) => boolean;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString: Check = (value) => typeof value === 'string';
const isStringOrNull: Check = (value) => value === null || typeof value === 'string';
const isCount: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const isStrings: Check = (value) => Array.isArray(value) && value.every(isString);
const isRole: Check = (value) => value === 'customer' || value === 'staff';

const PREVIEW: Readonly<Record<string, Check>> = {
  id: isCount,
  sender_id: isString,
  sender_role: isRole,
  preview: isString,
  created_at: isString,
};

/** The fields of a summary and what each must be (`wire.ts`'s `RoomSummary`). */
const SUMMARY: Readonly<Record<string, Check>> = {
  id: (value) => typeof value === 'string' && value.length > 0,
  room_type: isString,
  subject: isString,
  status: (value) => value === 'open' || value === 'closed',
  customer_id: isString,
  staff_ids: isStrings,
  created_at: isString,
  last_activity_at: isString,
  closed_at: isStringOrNull,
  closed_by: isStringOrNull,
  last_message_id: isCount,
  last_message: (value) => value === null || (isRecord(value) && fieldProblem(value, PREVIEW) === undefined),
  unread_count: isCount,
  version: isCount,
  reads: (value) => isRecord(value) && Object.values(value).every(isCount),
  typing: isStrings,
};

function fieldProblem(record: Record<string, unknown>, fields: Readonly<Record<string, Check>>) {
  for (const [field, check] of Object.entries(fields)) {
    if (!check(record[field])) return `\`${field}\` is ${field in record ? 'malformed' : 'missing'}`;
  }
  return undefined;
}

/** Why a value is not a {@link RoomSummary}; undefined when it is one. */
export function summaryProblem(value: unknown): string | undefined {
  return isRecord(value) ? fieldProblem(value, SUMMARY) : 'not an object';
}
