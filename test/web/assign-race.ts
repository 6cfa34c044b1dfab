import type { Page, Route } from 'playwright-core';

/**
 * Holds each page's first assign request until both pages have sent theirs, then lets both go: the two
 * requests reach the server together, whatever the order of the clicks. Once both went on (`released`),
 * later assigns (a transfer) go straight through.
 */
export async function holdBothAssigns(pages: readonly Page[]): Promise<{ released: Promise<void> }> {
  const held: Route[] = [];
  let release: () => void = () => {};
  const bothSent = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const page of pages) {
    await page.route('**/api/chat/rooms/*/assign', async (route) => {
      held.push(route);
      if (held.length === pages.length) release();
      await bothSent;
      await route.continue();
    });
  }
  const released = bothSent
    .then(() => new Promise((resolve) => setTimeout(resolve, 0)))
    .then(() => Promise.all(pages.map((page) => page.unroute('**/api/chat/rooms/*/assign'))))
    .then(() => undefined);
  // In an object: an async function's own promise would wait for this one, which waits for the clicks.
  return { released };
}
