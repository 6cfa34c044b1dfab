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
  ) {
    super(code, message);
  }
}

/** The socket was closed or the room unfollowed before the operation could complete. */
export class ChatClosedError extends ChatError {
  constructor(message = 'The chat socket was closed') {
    super('closed', message);
  }
}
