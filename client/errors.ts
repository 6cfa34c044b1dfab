/**
 * Errors the client raises. `code` is the server's stable code where there is one (`room_closed`,
 * `room_not_found`, `staff_only`, ...), so callers branch on it rather than on messages.
 */
export class ChatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** The HTTP API answered with an error status. */
export class ChatApiError extends ChatError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly details?: readonly FieldIssue[],
    readonly requestId?: string,
  ) {
    super(code, message);
  }
}

/** The request never got an answer: offline, DNS, TLS, CORS, or the timeout. */
export class ChatNetworkError extends ChatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('network_error', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The server refused a frame (an `error` frame). */
export class ChatSocketError extends ChatError {
  constructor(
    code: string,
    message: string,
    readonly frameType?: string,
    readonly roomId?: string,
    readonly clientMessageId?: string,
    /** With `rate_limited`: seconds until the limit allows the frame again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

/** How long a failure asks to wait before trying again (a `rate_limited` frame's `retry_after`), in ms. */
export function retryAfterMs(error: ChatError | undefined): number {
  return error instanceof ChatSocketError && error.retryAfterSeconds !== undefined
    ? error.retryAfterSeconds * 1000
    : 0;
}

/** The socket was closed or the room unfollowed before the operation could complete. */
export class ChatClosedError extends ChatError {
  constructor(message = 'The chat socket was closed') {
    super('closed', message);
  }
}

/**
 * API Gateway answered a frame itself, with no `type`: the route was throttled (`Too Many Requests`), its
 * integration failed (`Internal server error`) or the frame was refused (`Forbidden`). `code` is
 * `throttled`, `internal_error` or `forbidden` (`gateway_error` for any other message); the frame says
 * nothing about which request it answers.
 */
export class ChatGatewayError extends ChatError {
  constructor(
    code: string,
    message: string,
    readonly requestId?: string,
    readonly connectionId?: string,
  ) {
    super(code, message);
  }
}

/**
 * A request the client awaits (a subscribe, the staff queue's subscribe, a send) got no successful answer
 * after its attempts: no answer in time, or only retryable failures. `cause` holds the last failure, if
 * there was an answer at all. `code` is `timeout`.
 */
export class ChatTimeoutError extends ChatError {
  constructor(
    message: string,
    readonly attempts: number,
    readonly roomId?: string,
    readonly clientMessageId?: string,
    options?: { cause?: unknown },
  ) {
    super('timeout', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
