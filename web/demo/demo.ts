/**
 * The demo host page's own script (`npm start` serves it on the demo origin, local/demo-host.ts): what a
 * site with signed-in users does. Its "backend" signs an identity token for the user who signs in, and the
 * page hands it to the chat with `LiveChat.identify`; signing out calls `LiveChat.logout()`.
 */
interface LiveChatHost {
  identify(token: string): Promise<{ userId: string; name: string | null }>;
  logout(): Promise<void>;
  open(): void;
  on(event: string, callback: (detail?: unknown) => void): void;
}

type Queued = ((...args: unknown[]) => void) & { q?: unknown[][] };

/**
 * `window.LiveChat`: the snippet's queue until embed.js has loaded, then the API (which is callable too, so
 * it is told apart by its methods).
 */
const chat = (): LiveChatHost | Queued => (window as unknown as { LiveChat: LiveChatHost | Queued }).LiveChat;
const loaded = (api: LiveChatHost | Queued): api is LiveChatHost =>
  typeof (api as Partial<LiveChatHost>).identify === 'function';
const USER_KEY = 'demo-shop:user';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const status = $<HTMLParagraphElement>('site-user');
const log = $<HTMLOListElement>('events');
const nameInput = $<HTMLInputElement>('demo-name');

function note(text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  log.prepend(item);
}

function showUser(): void {
  const name = localStorage.getItem(USER_KEY);
  status.textContent = name ? `Signed in to the shop as ${name}` : 'Not signed in to the shop';
  $<HTMLButtonElement>('sign-out').hidden = !name;
}

/** The site's backend signs a short-lived identity token for its signed-in user. */
async function identityToken(name: string): Promise<string> {
  const response = await fetch('/demo/identity-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json()) as { identity_token?: string; error?: { message?: string } };
  if (!response.ok || !body.identity_token) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body.identity_token;
}

async function identify(name: string): Promise<void> {
  const token = await identityToken(name);
  const api = chat();
  if (!loaded(api)) {
    api('identify', token);
    return;
  }
  const who = await api.identify(token);
  note(`chat: identified as ${who.name ?? who.userId}`);
}

$<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) return;
  localStorage.setItem(USER_KEY, name);
  showUser();
  identify(name).catch((error: unknown) => note(`chat: identify failed: ${String(error)}`));
});

$<HTMLButtonElement>('sign-out').addEventListener('click', () => {
  localStorage.removeItem(USER_KEY);
  showUser();
  const api = chat();
  if (!loaded(api)) api('logout');
  else
    api.logout().then(
      () => note('chat: signed out'),
      (error: unknown) => note(`chat: ${String(error)}`),
    );
});

$<HTMLButtonElement>('open-chat').addEventListener('click', () => {
  const api = chat();
  if (!loaded(api)) api('open');
  else api.open();
});

const subscribe = (api: LiveChatHost | Queued) => {
  const on = (event: string, callback: (detail?: unknown) => void) =>
    loaded(api) ? api.on(event, callback) : api('on', event, callback);
  on('unread', (count) => {
    $<HTMLSpanElement>('unread').textContent = String(count);
  });
  on('identify_failed', (detail) => note(`chat: identify failed: ${JSON.stringify(detail)}`));
};
subscribe(chat());

showUser();
// A returning signed-in user: the chat is told again (it skips the exchange if it already knows them).
const returning = localStorage.getItem(USER_KEY);
if (returning) identify(returning).catch((error: unknown) => note(`chat: identify failed: ${String(error)}`));
