/**
 * `embed.js`: what a site owner adds to their pages (docs/embed.md):
 *
 *   <script>window.LiveChatSettings = { position: 'bottom-right' };</script>
 *   <script src="https://<chat site>/embed.js" async></script>
 *
 * It adds a launcher button (with an unread badge) in a closed shadow root, so the page's CSS cannot reach
 * it, and the widget in an iframe served by the chat site: a cross-origin frame, so the widget cannot read
 * the page nor the page the widget. The two talk only by `postMessage` (./protocol.ts), each checking the
 * other's origin and window. The page drives it with `window.LiveChat` (see {@link LiveChatApi}); calls made
 * as `LiveChat('open')` before this script loaded (the snippet's one-line queue) run once it has.
 */
import { type FrameMessage, type HostMessage, parseFrameMessage, wire } from './protocol.js';

export interface LiveChatSettings {
  /** @default 'bottom-right' */
  readonly position?: 'bottom-right' | 'bottom-left';
  /** The launcher's text. @default 'Chat with us' */
  readonly label?: string;
  /** Open the chat as the page loads. @default false */
  readonly openOnLoad?: boolean;
}

type EventName = 'unread' | 'open' | 'close' | 'identified' | 'identify_failed' | 'logged_out';

export interface LiveChatApi {
  open(): void;
  close(): void;
  /** Signs the visitor in with a token the site's backend signed; resolves once the chat took it. */
  identify(identityToken: string): Promise<{ userId: string; name: string | null }>;
  /** Ends the chat session on this device (call it when the site signs its user out). */
  logout(): Promise<void>;
  on(event: EventName, callback: (detail?: unknown) => void): void;
  off(event: EventName, callback: (detail?: unknown) => void): void;
}

declare global {
  interface Window {
    LiveChatSettings?: LiveChatSettings;
    LiveChat?: LiveChatApi | { (...args: unknown[]): void; q?: ArrayLike<unknown>[] };
  }
}

const STYLE = `
:host{all:initial}
*{box-sizing:border-box}
.launcher{position:fixed;bottom:20px;display:flex;align-items:center;gap:8px;height:52px;padding:0 20px;
border:0;border-radius:26px;background:#1f4fd1;color:#fff;font:600 15px/1 system-ui,sans-serif;cursor:pointer;
box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;pointer-events:auto}
.launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.badge{min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d4351c;color:#fff;
font:700 13px/22px system-ui,sans-serif;text-align:center}
.badge[hidden]{display:none}
.panel{position:fixed;bottom:84px;width:380px;height:min(640px,calc(100vh - 104px));border:0;border-radius:12px;
background:#fff;box-shadow:0 8px 30px rgba(0,0,0,.3);z-index:2147483000;color-scheme:normal;pointer-events:auto}
.panel.closed{visibility:hidden;pointer-events:none}
.right{right:20px}.left{left:20px}
@media (max-width:480px){.panel{inset:0;width:100%;height:100%;border-radius:0}
.panel:not(.closed)~.launcher{display:none}}
`;

function start(): void {
  const existing = window.LiveChat as { version?: string } | undefined;
  if (existing && 'version' in existing) return;
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script?.src) throw new Error('live chat: embed.js must be loaded with <script src>');
  const chatOrigin = new URL(script.src).origin;
  const settings: LiveChatSettings = window.LiveChatSettings ?? {};
  const side = settings.position === 'bottom-left' ? 'left' : 'right';
  const label = settings.label || 'Chat with us';

  const host = document.createElement('div');
  host.setAttribute('data-live-chat', '');
  // Inline and important: the page's own rules cannot hide or move the box the launcher lives in.
  for (const [name, value] of [
    ['display', 'block'],
    ['position', 'static'],
    ['width', '0'],
    ['height', '0'],
    ['opacity', '1'],
    ['visibility', 'visible'],
    ['transform', 'none'],
    ['filter', 'none'],
    ['pointer-events', 'none'],
    ['contain', 'none'],
    ['clip-path', 'none'],
    ['mask', 'none'],
    ['zoom', '1'],
    ['content-visibility', 'visible'],
    // In the top layer (below), a popover gets the browser's own box styles: none of them here.
    ['inset', 'auto'],
    ['margin', '0'],
    ['padding', '0'],
    ['border', '0'],
    ['background', 'transparent'],
    ['overflow', 'visible'],
  ])
    host.style.setProperty(name as string, value as string, 'important');
  const root = host.attachShadow({ mode: 'closed' });
  // A constructed style sheet is CSSOM, which the page's CSP allows without 'unsafe-inline' for styles; a
  // <style> element only where the browser has no constructed sheets.
  let style: HTMLStyleElement | undefined;
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } else {
    style = document.createElement('style');
    style.textContent = STYLE;
  }

  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = `launcher ${side}`;
  launcher.setAttribute('aria-expanded', 'false');
  const text = document.createElement('span');
  text.textContent = label;
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  launcher.append(text, badge);

  const frame = document.createElement('iframe');
  frame.className = `panel ${side} closed`;
  frame.title = 'Chat with support';
  // The frame keeps its own origin (its storage, its API calls) but may not navigate this page. Its popups
  // inherit the sandbox, so an attachment opened in one may only download with allow-downloads.
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups allow-downloads');
  frame.src = `${chatOrigin}/widget.html?embed=1&host=${encodeURIComponent(location.origin)}`;
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  if (style) root.append(style);
  root.append(frame, launcher);

  let isOpen = false;
  let ready = false;
  let failed: Error | undefined;
  const outbox: HostMessage[] = [];
  const listeners = new Map<EventName, Set<(detail?: unknown) => void>>();
  const waiting: { resolve: (v: never) => void; reject: (e: Error) => void; kind: 'identify' | 'logout' }[] =
    [];

  const emit = (event: EventName, detail?: unknown) => {
    for (const callback of listeners.get(event) ?? []) {
      try {
        callback(detail);
      } catch (error) {
        console.error('live chat: an event listener failed', error);
      }
    }
  };
  const post = (message: HostMessage) => {
    if (!ready) {
      outbox.push(message);
      return;
    }
    frame.contentWindow?.postMessage(wire(message), chatOrigin);
  };
  const pageUrl = () => location.href.split('#')[0] as string;
  const settle = (kind: 'identify' | 'logout', error?: Error, value?: unknown) => {
    const index = waiting.findIndex((w) => w.kind === kind);
    if (index < 0) return;
    const [entry] = waiting.splice(index, 1);
    if (error) entry?.reject(error);
    else entry?.resolve(value as never);
  };

  const setOpen = (open: boolean, moveFocus: boolean) => {
    if (open === isOpen) return;
    isOpen = open;
    frame.classList.toggle('closed', !open);
    frame.setAttribute('aria-hidden', String(!open));
    frame.tabIndex = open ? 0 : -1;
    launcher.setAttribute('aria-expanded', String(open));
    post({ type: 'visibility', pageUrl: pageUrl(), open });
    if (moveFocus) (open ? frame : launcher).focus();
    emit(open ? 'open' : 'close');
  };

  const showUnread = (count: number) => {
    badge.hidden = count === 0;
    badge.textContent = count > 99 ? '99+' : String(count);
    launcher.setAttribute('aria-label', count === 0 ? label : `${label}, ${count} unread`);
    emit('unread', count);
  };

  window.addEventListener('message', (event) => {
    // Only the widget's own frame, served from the chat site, is listened to.
    if (event.origin !== chatOrigin || event.source !== frame.contentWindow) return;
    const message: FrameMessage | undefined = parseFrameMessage(event.data);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        ready = true;
        failed = undefined;
        frame.contentWindow?.postMessage(
          wire({ type: 'hello', pageUrl: pageUrl(), open: isOpen }),
          chatOrigin,
        );
        for (const queued of outbox.splice(0)) post(queued);
        return;
      case 'unread':
        return showUnread(message.count);
      case 'close':
        return setOpen(false, true);
      case 'identified':
        settle('identify', undefined, { userId: message.userId, name: message.name });
        return emit('identified', { userId: message.userId, name: message.name });
      case 'identify_failed':
        settle('identify', Object.assign(new Error(message.message), { code: message.code }));
        return emit('identify_failed', { code: message.code, message: message.message });
      case 'logged_out':
        // The chat session ended: the panel closes, and whoever opens it next starts afresh.
        setOpen(false, false);
        settle('logout');
        return emit('logged_out');
    }
  });
  launcher.addEventListener('click', () => setOpen(!isOpen, true));
  // A frame that loaded but never said `ready` shows an error page: typically this site is not among the
  // stack's embedOrigins, and the widget's CSP refused it. Say so, and fail what waits for it.
  frame.addEventListener('load', () => {
    setTimeout(() => {
      if (ready) return;
      const reason = new Error(
        `live chat: the chat did not start on ${location.origin}; is it in the stack's embedOrigins?`,
      );
      console.error(reason.message);
      failed = reason;
      for (const entry of waiting.splice(0)) entry.reject(reason);
      outbox.length = 0;
    }, 10_000);
  });

  const api = Object.assign(
    (method: unknown, ...args: unknown[]) => {
      const fn = (api as unknown as Record<string, unknown>)[method as string];
      if (typeof fn !== 'function') {
        throw new Error(`live chat: no method ${String(method)}`);
      }
      return (fn as (...a: unknown[]) => unknown)(...args);
    },
    {
      version: '1',
      open: () => setOpen(true, true),
      close: () => setOpen(false, true),
      identify: (identityToken: string) =>
        new Promise<{ userId: string; name: string | null }>((resolve, reject) => {
          if (typeof identityToken !== 'string' || identityToken === '') {
            reject(new Error('live chat: identify() needs the identity token'));
            return;
          }
          if (failed) {
            reject(failed);
            return;
          }
          waiting.push({ kind: 'identify', resolve: resolve as (v: never) => void, reject });
          post({ type: 'identify', identityToken });
        }),
      logout: () =>
        new Promise<void>((resolve, reject) => {
          if (failed) {
            reject(failed);
            return;
          }
          waiting.push({ kind: 'logout', resolve: resolve as (v: never) => void, reject });
          post({ type: 'logout' });
        }),
      on: (event: EventName, callback: (detail?: unknown) => void) => {
        const set = listeners.get(event) ?? new Set();
        set.add(callback);
        listeners.set(event, set);
      },
      off: (event: EventName, callback: (detail?: unknown) => void) => {
        listeners.get(event)?.delete(callback);
      },
    },
  );
  const queued = (window.LiveChat as { q?: ArrayLike<unknown>[] } | undefined)?.q ?? [];
  window.LiveChat = api as unknown as LiveChatApi;

  const mount = () => {
    document.body.append(host);
    // The top layer, where the browser has it: above every z-index of the page, and out of reach of an
    // ancestor's transform, filter or containment, which would pin the launcher to the page instead of the
    // screen. Its children keep their own pointer events; the host box itself takes none.
    if (typeof host.showPopover === 'function') {
      host.popover = 'manual';
      host.showPopover();
    }
    for (const args of Array.from(queued)) {
      try {
        const result = api(...(Array.from(args) as [unknown, ...unknown[]]));
        if (result instanceof Promise) result.catch((error) => console.error('live chat:', error));
      } catch (error) {
        console.error('live chat:', error);
      }
    }
    if (settings.openOnLoad) setOpen(true, false);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

start();
