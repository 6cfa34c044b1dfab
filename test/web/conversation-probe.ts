import type { Page } from 'playwright-core';

/** What the conversation shows, top to bottom: a message's text, or `note: …` for a note. */
export function conversationRows(page: Page): Promise<string[]> {
  return page.$$eval('.message-list > li.message', (items) =>
    items.map((item) => {
      const text = item.querySelector('.bubble')?.textContent ?? '';
      return item.classList.contains('note') ? `note: ${text}` : text;
    }),
  );
}

/**
 * Records, as text, every WebSocket frame and API answer `page` receives from now on: what a test checks
 * for something the page must never be given (a note reaching a customer's widget), on screen or not.
 */
export function recordTraffic(page: Page): string[] {
  const traffic: string[] = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', (frame) => void traffic.push(String(frame.payload))),
  );
  page.on('response', async (response) => {
    if (response.url().includes('/api/')) traffic.push(await response.text().catch(() => ''));
  });
  return traffic;
}
