import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { pngIn, transfer } from './attachment-input.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

/**
 * Attachments in real Chromium against the local stack: the customer pastes a screenshot into the widget and
 * staff see its thumbnail in the console; staff attach a PDF and the customer gets a chip that downloads it;
 * a photo dropped onto the composer reaches the bucket without its EXIF. Every byte goes through the local
 * S3, which checks the presigned POSTs and GETs as S3 does, behind the pages' real CSP and CORS.
 */
let harness: WebHarness;
let consolePage: Page;
let widgetPage: Page;
const SUBJECT = 'The checkout shows an error';

beforeAll(async () => {
  harness = await startWebHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const thumbnails = (page: Page) => page.getByTestId('attachment-thumbnail');

describe('attachments between the widget and the console', () => {
  it('shows a screenshot pasted into the widget to staff, as a thumbnail of at most 320 px', async () => {
    ({ page: consolePage } = await harness.open('/console.html'));
    await signIn(consolePage, 'sam', 'staff');
    ({ page: widgetPage } = await harness.open('/widget.html', { width: 420, height: 760 }));
    await signIn(widgetPage, 'carol', 'customer');
    await widgetPage.getByLabel('Subject').fill(SUBJECT);
    await widgetPage.getByRole('button', { name: 'Start chat' }).click();
    const composer = widgetPage.getByRole('textbox', { name: 'Message' });
    await composer.fill('This is what I see:');
    await composer.press('Enter');

    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await consolePage.getByRole('button', { name: 'Join', exact: true }).click();

    const screenshot = await pngIn(widgetPage, 1280, 800);
    await transfer(widgetPage, 'paste', { name: 'image.png', type: 'image/png', bytes: screenshot });
    const tray = widgetPage.getByRole('list', { name: 'Files to send' });
    await tray.getByText('Ready').waitFor({ timeout: 10_000 });
    expect(await tray.textContent()).toMatch(/Screenshot .*\.png/);
    await expectAccessible(widgetPage, 'widget with a file ready to send');
    await widgetPage.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => tray.count()).toBe(0);

    const seen = thumbnails(consolePage).last();
    await seen.waitFor({ timeout: 10_000 });
    await expect
      .poll(() =>
        seen.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth),
      )
      .toBe(320);
    expect(await seen.evaluate((img) => (img as HTMLImageElement).naturalHeight)).toBe(200);
    expect(await seen.getAttribute('alt')).toMatch(/^Screenshot .*\.png$/);
    // The customer sees it too, from the same thumbnail.
    await thumbnails(widgetPage).last().waitFor();
    await expectAccessible(consolePage, 'console with an image attachment');
    const preview = consolePage.locator('.queue-item', { hasText: SUBJECT });
    await expect.poll(() => preview.textContent()).toContain('📎 Screenshot');
  });

  it("gives the customer a file staff attached as a chip that downloads it, with the staff's text", async () => {
    await consolePage.locator('.composer input[type="file"]').setInputFiles({
      name: 'invoice 42.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 test'),
    });
    await consolePage.getByText('Ready').waitFor({ timeout: 10_000 });
    await consolePage.getByRole('textbox', { name: 'Message' }).fill('Here is your invoice');
    await consolePage.getByRole('textbox', { name: 'Message' }).press('Enter');

    const chip = widgetPage.locator('.attachment-chip', { hasText: 'invoice 42.pdf' });
    await chip.waitFor({ timeout: 10_000 });
    await widgetPage.locator('.bubble', { hasText: 'Here is your invoice' }).waitFor();
    const popup = widgetPage.waitForEvent('popup');
    await chip.click();
    const tab = await popup;
    const download = await tab.waitForEvent('download', { timeout: 10_000 });
    expect(download.suggestedFilename()).toBe('invoice 42.pdf');
    const saved = await download.path();
    expect(saved).toBeTruthy();
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(saved as string)).toString()).toBe('%PDF-1.4 test');
  });

  it('strips EXIF (the GPS position) from a photo dropped onto the composer before it leaves the browser', async () => {
    const jpeg = await widgetPage.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 480;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.fillStyle = '#2e86de';
      context.fillRect(0, 0, 640, 480);
      const blob = await new Promise<Blob>((resolve) =>
        canvas.toBlob((b) => resolve(b as Blob), 'image/jpeg'),
      );
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    // An APP1 Exif segment right after SOI, as a phone writes it, carrying a recognisable "location".
    const payload = Buffer.concat([
      Buffer.from('Exif\0\0MM\0*\0\0\0\x08\0\0', 'latin1'),
      Buffer.from('GPS 51.5007N 0.1246W'),
    ]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, payload.length + 2]), payload]);
    const photo = Buffer.concat([Buffer.from(jpeg.slice(0, 2)), app1, Buffer.from(jpeg.slice(2))]);
    expect(photo.includes('GPS 51.5007N')).toBe(true);

    await transfer(widgetPage, 'drop', { name: 'holiday.jpg', type: 'image/jpeg', bytes: [...photo] });
    await widgetPage
      .getByRole('list', { name: 'Files to send' })
      .getByText('Ready')
      .waitFor({ timeout: 10_000 });
    await widgetPage.getByRole('button', { name: 'Send', exact: true }).click();
    await consolePage.locator('.attachment-image[title^="holiday.jpg"]').waitFor({ timeout: 10_000 });

    // What the bucket holds, read back the way staff would download it.
    const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
    const http = (path: string) =>
      fetch(`${harness.baseUrl}/api/chat${path}`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.json(),
      );
    const rooms = await http('/active-rooms/');
    const room = rooms.results.find((r: { subject: string }) => r.subject === SUBJECT);
    const history = await http(`/rooms/${room.id}/messages/`);
    const sent = history.results.flatMap(
      (m: { attachments?: { id: string; name: string }[] }) => m.attachments ?? [],
    );
    const holiday = sent.find((a: { name: string }) => a.name === 'holiday.jpg');
    expect(holiday).toMatchObject({ content_type: 'image/jpeg', has_thumbnail: true });
    const { url } = await http(`/rooms/${room.id}/attachments/${holiday.id}/`);
    const stored = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(stored.includes('GPS 51.5007N')).toBe(false);
    expect(stored.includes('Exif')).toBe(false);
    expect(holiday.size).toBe(stored.length);
  });

  it('refuses an HTML file in the browser before anything is uploaded, and says why', async () => {
    const before = harness.stack.s3.refusals.size;
    await transfer(widgetPage, 'drop', {
      name: 'page.html',
      type: 'text/html',
      bytes: [...Buffer.from('<b>x</b>')],
    });
    await widgetPage.getByRole('alert').filter({ hasText: 'cannot be sent' }).waitFor();
    expect(harness.stack.s3.refusals.size).toBe(before);
    await widgetPage.getByRole('button', { name: 'Remove page.html' }).click();
  });
});
