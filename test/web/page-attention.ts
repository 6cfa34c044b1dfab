import type { BrowserContext, Page } from 'playwright-core';

/**
 * Whether the person is looking at a console, emulated, and what the console did to get their attention.
 * Playwright cannot hide a tab or take the focus from a page, so the page's own view of both is emulated (an
 * init script: `document.visibilityState`, `hidden`, `hasFocus()`, and their events). The Notification API is
 * the browser's own, wrapped to record what the page showed; Chromium's permission is granted to the context,
 * and the person's answer to the page's question is emulated (a headless page cannot be asked): "default"
 * until the page asks, then "Allow". The chime's tones are counted as the page makes them (Web Audio plays
 * them in a headless page too).
 */

export interface ShownNotification {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
}

declare global {
  interface Window {
    __view(visible: boolean, focused: boolean): void;
    __shown: ShownNotification[];
    __notifications: Notification[];
    __asked: number;
    __tones: number;
  }
}

/**
 * Installs the emulation in every page of `context` from its next navigation on (reload or open the page
 * after this): each page starts visible and focused, with the notification permission undecided.
 */
export async function emulateAttention(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    let visible = true;
    let focused = true;
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (visible ? 'visible' : 'hidden'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !visible });
    document.hasFocus = () => focused;
    window.__view = (nowVisible, nowFocused) => {
      visible = nowVisible;
      focused = nowFocused;
      document.dispatchEvent(new Event('visibilitychange'));
      window.dispatchEvent(new Event(nowFocused ? 'focus' : 'blur'));
    };
    window.__shown = [];
    window.__notifications = [];
    window.__asked = 0;
    window.__tones = 0;
    const createOscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (this: AudioContext) {
      window.__tones += 1;
      return createOscillator.call(this);
    };
    let answer: NotificationPermission = 'default';
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        window.__shown.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
        super(title, options);
        window.__notifications.push(this);
      }
      static override get permission() {
        return answer;
      }
      static override requestPermission() {
        window.__asked += 1;
        answer = 'granted';
        return Promise.resolve(answer);
      }
    }
    window.Notification = Recorded;
  });
  // Chromium denies notifications to a headless page unless granted.
  await context.grantPermissions(['notifications']);
}

/** Shows or hides the tab and gives or takes its window's focus, as the page sees it. */
export function setView(page: Page, visible: boolean, focused: boolean): Promise<void> {
  return page.evaluate(([v, f]) => window.__view(v, f), [visible, focused] as const);
}

/** Every desktop notification the page has shown, oldest first. */
export function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(() => window.__shown);
}

/** The person clicks the newest notification the system shows. */
export function clickNewestNotification(page: Page): Promise<void> {
  return page.evaluate(() => void window.__notifications.at(-1)?.dispatchEvent(new Event('click')));
}

/** How many tones the chime has played. */
export function chimeTones(page: Page): Promise<number> {
  return page.evaluate(() => window.__tones);
}
