/**
 * Typed errors, thrown deep and turned into an HTTP response or an `error` frame in exactly one place per API.
 * `code` is stable and meant for programs; `message` is for people.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: readonly FieldIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export class BadRequest extends AppError {
  constructor(message: string, code = 'invalid_request', details?: readonly FieldIssue[]) {
    super(400, code, message, details);
  }
}

export class Forbidden extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFound extends AppError {
  constructor(message = 'Room not found', code = 'not_found') {
    super(404, code, message);
  }
}

export class Conflict extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export const roomNotFound = () => new NotFound('Room not found', 'room_not_found');
export const roomClosed = () => new Conflict('The room is closed', 'room_closed');
export const staffOnly = () => new Forbidden('Only staff can do this', 'staff_only');
