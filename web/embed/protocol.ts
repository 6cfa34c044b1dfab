/**
 * The messages between `embed.js` on the host page and the widget in its iframe (`postMessage`). Each side
 * takes a message only from the other's window and origin, and parses it here: anything else is ignored.
 *
 *   frame → host   ready · unread {count} · close · identified {userId, name} · identify_failed {code, message}
 *                  · logged_out
 *   host → frame   hello {pageUrl, open} · visibility {pageUrl, open} · identify {identityToken} · logout
 *
 * The frame says `ready` once it listens; the host answers `hello` and only then sends what was queued.
 */
export const CHANNEL = 'live-chat';

export type HostMessage =
  | { readonly type: 'hello' | 'visibility'; readonly pageUrl: string; readonly open: boolean }
  | { readonly type: 'identify'; readonly identityToken: string }
  | { readonly type: 'logout' };

export type FrameMessage =
  | { readonly type: 'ready' | 'close' | 'logged_out' }
  | { readonly type: 'unread'; readonly count: number }
  | { readonly type: 'identified'; readonly userId: string; readonly name: string | null }
  | { readonly type: 'identify_failed'; readonly code: string; readonly message: string };

type Wire<T> = T & { readonly channel: typeof CHANNEL };

/** The message as it goes on the wire (tagged with the channel, so other scripts' messages are told apart). */
export function wire<T extends HostMessage | FrameMessage>(message: T): Wire<T> {
  return { channel: CHANNEL, ...message };
}

const record = (data: unknown): Record<string, unknown> | undefined =>
  data && typeof data === 'object' && (data as { channel?: unknown }).channel === CHANNEL
    ? (data as Record<string, unknown>)
    : undefined;

const text = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;

/** A message from the host page, or undefined when `data` is not one. */
export function parseHostMessage(data: unknown): HostMessage | undefined {
  const m = record(data);
  if (!m) return undefined;
  switch (m.type) {
    case 'hello':
    case 'visibility':
      return text(m.pageUrl, 4096) && typeof m.open === 'boolean'
        ? { type: m.type, pageUrl: m.pageUrl, open: m.open }
        : undefined;
    case 'identify':
      return text(m.identityToken, 8192) && m.identityToken !== ''
        ? { type: 'identify', identityToken: m.identityToken }
        : undefined;
    case 'logout':
      return { type: 'logout' };
    default:
      return undefined;
  }
}

/** A message from the widget's frame, or undefined when `data` is not one. */
export function parseFrameMessage(data: unknown): FrameMessage | undefined {
  const m = record(data);
  if (!m) return undefined;
  switch (m.type) {
    case 'ready':
    case 'close':
    case 'logged_out':
      return { type: m.type };
    case 'unread':
      return Number.isInteger(m.count) && (m.count as number) >= 0
        ? { type: 'unread', count: m.count as number }
        : undefined;
    case 'identified':
      return text(m.userId, 200) && (m.name === null || text(m.name, 200))
        ? { type: 'identified', userId: m.userId, name: m.name as string | null }
        : undefined;
    case 'identify_failed':
      return text(m.code, 100) && text(m.message, 500)
        ? { type: 'identify_failed', code: m.code, message: m.message }
        : undefined;
    default:
      return undefined;
  }
}
