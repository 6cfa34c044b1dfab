import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { TestSocket } from '../support/socket.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

let harness: WebHarness;

beforeAll(async () => {
  harness = await startWebHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/**
 * The longest a widget may take to learn a change it gets no frame for: its 10 s poll and the 5 s shared
 * reading (SUPPORT_STATUS_CACHE_SECONDS), plus slack for a loaded machine.
 */
const LEARN_WITHIN_MS = 18_000;

/** Milliseconds until the widget's status line says `text`. */
async function untilStatus(page: Page, text: string): Promise<number> {
  const started = Date.now();
  await page
    .getByTestId('staff-status')
    .filter({ hasText: text })
    .waitFor({ state: 'visible', timeout: LEARN_WITHIN_MS });
  return Date.now() - started;
}

describe('the widget’s "We are online", for a customer in no room', () => {
  it('learns within seconds that someone from support came online and went away, with no frame for it', async () => {
    const { page } = await harness.open('/widget.html', { width: 420, height: 760 });
    await signIn(page, 'dora', 'customer');
    await untilStatus(page, 'We are away');
    await expectAccessible(page, 'widget, support away');

    const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
    const staff = await TestSocket.open(harness.stack, { token });
    const cameOnline = await untilStatus(page, 'We are online');
    await expectAccessible(page, 'widget, support online');
    await staff.close();
    const wentAway = await untilStatus(page, 'We are away');
    console.log(`[support-status] widget learned: online after ${cameOnline} ms, away after ${wentAway} ms`);
    expect(cameOnline).toBeLessThan(LEARN_WITHIN_MS);
    expect(wentAway).toBeLessThan(LEARN_WITHIN_MS);
  }, 60_000);
});
