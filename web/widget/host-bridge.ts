import { type FrameMessage, type HostMessage, parseHostMessage, wire } from '../embed/protocol.js';

export class EmbedRefused extends Error {}

/**
 * The origin of the page that embeds this frame, checked: it must be one of `embedOrigins`, it must be the
 * one `?host=` names, and, where the browser tells (`location.ancestorOrigins`, Chromium and Safari), the
 * parent's real origin. The widget's CSP `frame-ancestors` already keeps other sites from framing it; this
 * is the widget's own check, so it never talks to a page it was not meant for.
 */
export function hostOrigin(embedOrigins: readonly string[], location: Location = window.location): string {
  if (window.parent === window) throw new EmbedRefused('The chat is not inside a page');
  const named = new URLSearchParams(location.search).get('host') ?? '';
  if (!embedOrigins.includes(named)) throw new EmbedRefused('This site may not show the chat');
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0 && ancestors[0] !== named) {
    throw new EmbedRefused('This site may not show the chat');
  }
  return named;
}

/**
 * The frame's side of the postMessage channel: listens only to `window.parent` on the checked host origin
 * and posts only to that origin (a page that navigated elsewhere meanwhile gets nothing).
 */
export class HostBridge {
  private readonly handlers = new Set<(message: HostMessage) => void>();

  constructor(readonly origin: string) {
    window.addEventListener('message', (event) => {
      if (event.source !== window.parent || event.origin !== this.origin) return;
      const message = parseHostMessage(event.data);
      if (!message) return;
      for (const handler of this.handlers) handler(message);
    });
  }

  on(handler: (message: HostMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  post(message: FrameMessage): void {
    window.parent.postMessage(wire(message), this.origin);
  }
}
