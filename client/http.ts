import { ChatApiError, ChatNetworkError, type FieldIssue } from './errors.js';
import type {
  AttachmentDownload,
  CreatedAttachment,
  EmailConfirmationRequest,
  EmailConfirmed,
  HistoryPage,
  Message,
  MessagePage,
  NewRoom,
  OnlineStaffMember,
  OnlineStaffPage,
  Profile,
  ProfileUpdate,
  ReadState,
  Room,
  RoomDetail,
  RoomPage,
  SupportStatus,
  WsTicket,
} from './wire.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ChatHttpOptions {
  /** Base URL of the HTTP API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com` (no `/api/chat`). */
  readonly baseUrl: string;
  /** Returns a current bearer token; called for every request, so it may refresh. */
  readonly getToken: () => string | Promise<string>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per-request timeout. @default 15_000 */
  readonly timeoutMs?: number;
}

export interface PageOptions {
  /** 1 to 100. @default 20 */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface HistoryOptions {
  /** 1 to 100. @default 50 */
  readonly limit?: number;
  /** Messages with a smaller id (scrolling back). */
  readonly before?: number;
  /** Messages with a greater id (catching up). */
  readonly after?: number;
}

export interface SendResult {
  readonly message: Message;
  /** False when the server already had this client_message_id (a resend): nothing new was stored. */
  readonly created: boolean;
}

/**
 * The HTTP API, typed. Every method resolves with the server's JSON or rejects with a {@link ChatApiError}
 * (the server's status and `code`) or a {@link ChatNetworkError}.
 *
 * @example
 * const http = new ChatHttp({ baseUrl: config.httpApiUrl, getToken: () => session.token() });
 * const room = await http.createRoom({ room_type: 'orders', subject: 'Where is my parcel?' });
 */
export class ChatHttp {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: ChatHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** A customer's own rooms; a staff member's joined open rooms. Newest first. */
  listRooms(page: PageOptions = {}): Promise<RoomPage> {
    return this.request('GET', `/api/chat/rooms${query(page)}`);
  }

  /** Opens a room (customers only). */
  createRoom(input: NewRoom = {}): Promise<Room> {
    return this.request('POST', '/api/chat/rooms', input);
  }

  /** One room with its members, their read pointers and presence. */
  getRoom(roomId: string): Promise<RoomDetail> {
    return this.request('GET', `${roomPath(roomId)}`);
  }

  /** One page of history, ascending by id. Without `before`/`after`: the newest messages. */
  listMessages(roomId: string, options: HistoryOptions = {}): Promise<MessagePage> {
    return this.request('GET', `${roomPath(roomId)}/messages${query(options)}`);
  }

  /** Every message after `afterId`, ascending, following pages until `has_more` is false. */
  async messagesAfter(roomId: string, afterId: number, pageSize = 100): Promise<Message[]> {
    const all: Message[] = [];
    let after = afterId;
    for (;;) {
      const page = await this.listMessages(roomId, { after, limit: pageSize });
      all.push(...page.results);
      const last = page.results.at(-1);
      if (!page.has_more || !last) return all;
      after = last.id;
    }
  }

  joinRoom(roomId: string): Promise<Room> {
    return this.request('POST', `${roomPath(roomId)}/join`);
  }

  leaveRoom(roomId: string): Promise<Room> {
    return this.request('POST', `${roomPath(roomId)}/leave`);
  }

  /**
   * Staff: gives the room to `staffId` (null: to nobody) if `expectedAssigneeId` still has it (null: nobody
   * does). Rejects with 409 `already_assigned` when someone else has it by then: read the room again.
   */
  assignRoom(
    roomId: string,
    staffId: string | null,
    expectedAssigneeId: string | null = null,
  ): Promise<Room> {
    return this.request('POST', `${roomPath(roomId)}/assign`, {
      staff_id: staffId,
      expected_assignee_id: expectedAssigneeId,
    });
  }

  closeRoom(roomId: string): Promise<Room> {
    return this.request('POST', `${roomPath(roomId)}/close`);
  }

  /**
   * Sends over HTTP (the socket's {@link ChatSocket.send} is the usual way). A retry with the same
   * `clientMessageId` returns the stored message with `created: false`.
   */
  async sendMessage(roomId: string, content: string, clientMessageId?: string): Promise<SendResult> {
    const body =
      clientMessageId === undefined ? { content } : { content, client_message_id: clientMessageId };
    const { status, json } = await this.exchange<Message>('POST', `${roomPath(roomId)}/send_message`, body);
    return { message: json, created: status === 201 };
  }

  /**
   * Asks to upload a file to a room: the answer's `upload` is a presigned POST (post its `fields`, then the
   * file) that the bucket accepts for exactly this size and type; `thumbnail: true` (images) adds a second one.
   */
  createAttachment(
    roomId: string,
    input: { name: string; size: number; content_type: string; thumbnail?: boolean },
  ): Promise<CreatedAttachment> {
    return this.request('POST', `${roomPath(roomId)}/attachments`, input);
  }

  /** A download URL of an attachment (or its thumbnail), good for `expires_in` seconds. */
  attachmentUrl(
    roomId: string,
    attachmentId: string,
    variant: 'file' | 'thumbnail' = 'file',
  ): Promise<AttachmentDownload> {
    const suffix = variant === 'thumbnail' ? '?variant=thumbnail' : '';
    return this.request(
      'GET',
      `${roomPath(roomId)}/attachments/${encodeURIComponent(attachmentId)}${suffix}`,
    );
  }

  /** Sends a message citing attachments the caller uploaded to the room (`content` may then be empty). */
  async sendWithAttachments(
    roomId: string,
    content: string,
    attachmentIds: readonly string[],
    clientMessageId?: string,
  ): Promise<SendResult> {
    const body = {
      content,
      attachments: attachmentIds,
      ...(clientMessageId === undefined ? {} : { client_message_id: clientMessageId }),
    };
    const { status, json } = await this.exchange<Message>('POST', `${roomPath(roomId)}/send_message`, body);
    return { message: json, created: status === 201 };
  }

  /** Moves the caller's read pointer forward (default: to the newest message). */
  markRead(roomId: string, messageId?: number): Promise<ReadState> {
    return this.request(
      'POST',
      `${roomPath(roomId)}/mark_read`,
      messageId === undefined ? {} : { message_id: messageId },
    );
  }

  /** Staff members with at least one live socket. */
  async onlineStaff(): Promise<OnlineStaffMember[]> {
    return [...(await this.onlineStaffPage()).results];
  }

  /** Staff members with at least one live socket, and when that was read (`checked_at`). */
  onlineStaffPage(): Promise<OnlineStaffPage> {
    return this.request('GET', '/api/chat/online-staff');
  }

  /**
   * Whether anyone from support is online (no ids, no count). Public: sent without a token, so a visitor
   * without a session may ask, and a shared cache may answer.
   */
  supportStatus(): Promise<SupportStatus> {
    return this.request('GET', '/api/chat/support-status', undefined, false);
  }

  /** Every open room, newest activity first (staff only). */
  activeRooms(page: PageOptions = {}): Promise<RoomPage> {
    return this.request('GET', `/api/chat/active-rooms${query(page)}`);
  }

  /** Every closed room, newest close first, with who closed them (staff only). */
  closedRooms(page: PageOptions = {}): Promise<HistoryPage> {
    return this.request('GET', `/api/chat/closed-rooms${query(page)}`);
  }

  /** One customer's rooms, open and closed, newest first (staff only). */
  customerRooms(customerId: string, page: PageOptions = {}): Promise<HistoryPage> {
    return this.request('GET', `/api/chat/customers/${encodeURIComponent(customerId)}/rooms${query(page)}`);
  }

  /** The caller's own profile: display name, email, and whether a host site vouched for them. */
  getProfile(): Promise<Profile> {
    return this.request('GET', '/api/chat/profile');
  }

  /**
   * Says who the caller is; an absent field stays as it is. A field a host site's identity token set cannot be
   * changed (`profile_verified`, 409).
   */
  updateProfile(update: ProfileUpdate): Promise<Profile> {
    return this.request('POST', '/api/chat/profile', update);
  }

  /**
   * Customers: mails a one-time link that proves the profile's address, after which staff replies reach it
   * by email while the customer is away. Rejects with 409 `no_email` without an address, 429 `rate_limited`
   * past three links an hour, 404 `email_unavailable` when the chat sends no email, 403 for staff.
   */
  requestEmailConfirmation(): Promise<EmailConfirmationRequest> {
    return this.request('POST', '/api/chat/email-confirmations');
  }

  /**
   * Spends an email confirmation link's token (public: no bearer token; the link's token is the proof), after
   * the person pressed "Confirm" on the page the link's GET sent them to. Resolves with the address now
   * confirmed; rejects with 404 `confirmation_not_found`, 410 `confirmation_used` or `confirmation_expired`,
   * 409 `email_changed`.
   */
  confirmEmail(token: string): Promise<EmailConfirmed> {
    return this.request(
      'POST',
      `/api/chat/email-confirmations/${encodeURIComponent(token)}`,
      undefined,
      false,
    );
  }

  /** A one-time ticket for `?ticket=` on the WebSocket URL, good for one connection within `expires_in` s. */
  createWsTicket(): Promise<WsTicket> {
    return this.request('POST', '/api/chat/ws-ticket');
  }

  /**
   * One call of the API, for the routes that have no method here (client/staff-http.ts: notes and canned
   * replies). Resolves with the JSON answer, or null for a 204.
   */
  async request<T>(method: HttpMethod, path: string, body?: unknown, auth = true): Promise<T> {
    return (await this.exchange<T>(method, path, body, auth)).json;
  }

  private async exchange<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    auth = true,
  ): Promise<{ status: number; json: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = `Bearer ${await this.options.getToken()}`;
    const sendsBody = method === 'POST' || method === 'PUT';
    if (sendsBody) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(sendsBody ? { body: JSON.stringify(body ?? {}) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ChatNetworkError(
        timedOut ? `${method} ${path} timed out after ${this.timeoutMs} ms` : `${method} ${path} failed`,
        { cause: error },
      );
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) throw apiError(response.status, json);
    return { status: response.status, json: json as T };
  }
}

function roomPath(roomId: string): string {
  return `/api/chat/rooms/${encodeURIComponent(roomId)}`;
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const GATEWAY_CODES: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'throttled',
  500: 'internal_error',
  503: 'unavailable',
};

/**
 * The handlers answer `{"error": {"code", "message"}}`; API Gateway itself (401 from the JWT authorizer,
 * 429 throttling, 5xx) answers `{"message": "..."}`.
 */
function apiError(status: number, json: unknown): ChatApiError {
  const body = (json ?? {}) as {
    error?: { code?: unknown; message?: unknown; details?: unknown; request_id?: unknown };
    message?: unknown;
  };
  const fallbackCode = GATEWAY_CODES[status] ?? (status >= 500 ? 'internal_error' : 'http_error');
  if (body.error && typeof body.error === 'object') {
    const { code, message, details, request_id } = body.error;
    return new ChatApiError(
      status,
      typeof code === 'string' ? code : fallbackCode,
      typeof message === 'string' ? message : `HTTP ${status}`,
      Array.isArray(details) ? (details as FieldIssue[]) : undefined,
      typeof request_id === 'string' ? request_id : undefined,
    );
  }
  return new ChatApiError(
    status,
    fallbackCode,
    typeof body.message === 'string' ? body.message : `HTTP ${status}`,
  );
}
