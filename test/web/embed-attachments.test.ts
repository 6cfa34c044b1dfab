import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickLauncher, type EmbedHarness, startEmbedHarness, widgetFrame } from './embed-harness.js';
import { signIn } from './harness.js';

/**
 * Attachments in the widget as a host site embeds it: the frame is sandboxed (embed.js), and its popups
 * inherit the sandbox, so a file staff send must still download from it; and an upload from inside the frame
 * goes through the frame's own CSP and the bucket's CORS.
 */
let harness: EmbedHarness;
let consolePage: Page;
let host: Page;
let frame: Frame;
const SUBJECT = 'Broken zip on my order';

beforeAll(async () => {
  harness = await startEmbedHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe('attachments in the embedded widget', () => {
  it('uploads an image from inside the frame, which staff see as a thumbnail', async () => {
    ({ page: consolePage } = await harness.open('/console.html'));
    await signIn(consolePage, 'sam', 'staff');
    await consolePage.locator('.empty', { hasText: 'No open rooms' }).waitFor();
    ({ page: host } = await harness.open(`${harness.demo.url}/`, { width: 1100, height: 760 }));
    frame = await widgetFrame(host);
    await clickLauncher(host);
    await frame.getByLabel('Subject').fill(SUBJECT);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const composer = frame.getByRole('textbox', { name: 'Message' });
    await composer.fill('Photo of the zip');
    await composer.press('Enter');
    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await consolePage.getByRole('button', { name: 'Join', exact: true }).click();

    const png = await frame.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 400;
      canvas.height = 300;
      (canvas.getContext('2d') as CanvasRenderingContext2D).fillRect(0, 0, 400, 300);
      const blob = await new Promise<Blob>((resolve) =>
        canvas.toBlob((b) => resolve(b as Blob), 'image/png'),
      );
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    await frame
      .locator('.composer input[type="file"]')
      .setInputFiles({ name: 'zip.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await frame.getByText('Ready').waitFor({ timeout: 10_000 });
    await frame.getByRole('button', { name: 'Send', exact: true }).click();
    const thumbnail = consolePage.getByTestId('attachment-thumbnail').last();
    await thumbnail.waitFor({ timeout: 10_000 });
    await expect.poll(() => thumbnail.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(320);
  });

  it('downloads a file staff sent, from a popup of the sandboxed frame', async () => {
    await consolePage.locator('.composer input[type="file"]').setInputFiles({
      name: 'label.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 label'),
    });
    await consolePage.getByText('Ready').waitFor({ timeout: 10_000 });
    await consolePage.getByRole('button', { name: 'Send', exact: true }).click();
    const chip = frame.locator('.attachment-chip', { hasText: 'label.pdf' });
    await chip.waitFor({ timeout: 10_000 });
    const popup = host.waitForEvent('popup');
    await chip.click();
    const tab = await popup;
    const download = await tab.waitForEvent('download', { timeout: 10_000 });
    expect(download.suggestedFilename()).toBe('label.pdf');
    expect(await download.failure()).toBeNull();
  });
});
