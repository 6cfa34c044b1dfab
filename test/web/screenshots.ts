/**
 * `npm run screenshots`: stages a support conversation on a local stack and saves what both pages look
 * like to docs/screenshots/console.png and docs/screenshots/widget.png (linked from docs/web.md and the
 * README), and the demo shop with the embedded chat open to docs/screenshots/embed.png (docs/embed.md).
 * The console shows what a newcomer should recognise: a room assigned to the agent and one to a colleague,
 * an internal note among the messages, a photo the customer pasted (its thumbnail), and the alerts control
 * as an agent first sees it ("Turn on notifications"). Run it again after a visible change to the pages.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ChatHttp } from '../../client/http.js';
import { sendNote } from '../../client/staff-http.js';
import { clickLauncher, startEmbedHarness, widgetFrame } from './embed-harness.js';
import { signIn } from './harness.js';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

async function main(): Promise<void> {
  const harness = await startEmbedHarness();
  try {
    const as = async (userId: string, staff = false) => {
      const token = await harness.stack.issuer.mint({ userId, staff });
      return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
    };
    const [carol, dan, erin, sam, tom] = await Promise.all([
      as('carol'),
      as('dan'),
      as('erin'),
      as('sam', true),
      as('tom', true),
    ]);

    await Promise.all([
      carol.updateProfile({ name: 'Carol Diaz' }),
      dan.updateProfile({ name: 'Dan Moreau' }),
      erin.updateProfile({ name: 'Erin Walsh' }),
      sam.updateProfile({ name: 'Sam Ortiz' }),
      tom.updateProfile({ name: 'Tom Price' }),
    ]);

    const billing = await dan.createRoom({ room_type: 'billing', subject: 'Charged twice for one order' });
    await dan.sendMessage(billing.id, 'Hi, I see two charges of 49.90 on my card for order 5521.');
    await tom.assignRoom(billing.id, 'tom');
    await tom.sendMessage(
      billing.id,
      'Hello Dan, I can see that. The second one is a pre-authorisation and will drop off.',
    );
    const tech = await erin.createRoom({ room_type: 'technical', subject: 'App crashes when I pay' });
    await erin.sendMessage(tech.id, 'The app closes as soon as I tap "Pay now".');

    const parcel = await carol.createRoom({ room_type: 'orders', subject: 'Where is my parcel?' });
    await carol.sendMessage(parcel.id, 'Hello! My order 1234 was due on Monday and has not arrived.');
    await sam.assignRoom(parcel.id, 'sam'); // the assignee joins
    await sam.sendMessage(parcel.id, 'Hi Carol, sorry about that. Let me look it up.');
    await carol.sendMessage(parcel.id, 'Thank you. The tracking page still says "in transit".');
    await sam.sendMessage(
      parcel.id,
      'It is at the local depot: the driver could not get in on Monday.\nIt is booked for delivery tomorrow, 9:00 to 13:00.',
    );
    await sendNote(sam, parcel.id, 'Depot says a neighbour may sign for it. Carrier ref DX-5521.');
    await carol.sendMessage(parcel.id, 'Ah, that explains it. Can they leave it with a neighbour?');

    const { context: staffContext, page: staff } = await harness.open('/console.html', {
      width: 1200,
      height: 760,
    });
    // Headless Chromium answers "denied" for notifications; show the control as an agent first sees it,
    // before they have decided.
    await staffContext.addInitScript(
      "Object.defineProperty(Notification, 'permission', { get: () => 'default' });",
    );
    await staff.reload();
    await signIn(staff, 'sam', 'staff');
    const { page: customer } = await harness.open('/widget.html', { width: 400, height: 760 });
    await signIn(customer, 'carol', 'customer');
    await customer.locator('.bubble', { hasText: 'neighbour' }).waitFor();

    // Carol pastes a photo of the card the driver left: the composer uploads it and makes its thumbnail.
    await pastePhoto(customer);
    await customer
      .getByRole('list', { name: 'Files to send' })
      .getByText('Ready')
      .waitFor({ timeout: 10_000 });
    await customer.getByRole('textbox', { name: 'Message' }).fill('This is the card the driver left.');
    await customer.getByRole('button', { name: 'Send', exact: true }).click();
    await customer.getByTestId('attachment-thumbnail').waitFor({ timeout: 10_000 });

    await staff.locator('.queue-item', { hasText: 'Where is my parcel?' }).click();
    await staff.getByTestId('attachment-thumbnail').waitFor({ timeout: 10_000 });
    await staff.waitForFunction(
      "[...document.querySelectorAll('[data-testid=attachment-thumbnail]')].every((i) => i.complete && i.naturalWidth > 0)",
    );
    await staff.locator('.message.mine', { hasText: 'Seen' }).waitFor();
    await customer.locator('.message.mine', { hasText: 'Seen' }).waitFor();
    // Typed at a person's pace: keys pressed before the room's subscription is confirmed send no typing frame.
    await staff
      .getByRole('textbox', { name: 'Message' })
      .pressSequentially('Yes, I have added that', { delay: 80 });
    await customer.getByTestId('typing').getByText('is typing').waitFor();
    await customer.getByRole('textbox', { name: 'Message' }).pressSequentially('Number 12 is usually home');
    await staff.getByTestId('typing').getByText('is typing').waitFor();

    await mkdir(outDir, { recursive: true });
    await staff.screenshot({ path: path.join(outDir, 'console.png') });
    await customer.screenshot({ path: path.join(outDir, 'widget.png') });

    // A visitor of the demo shop, signed in there, asks through the embedded chat; sam answers.
    const { page: shop } = await harness.open(`${harness.demo.url}/`, { width: 1100, height: 760 });
    const frame = await widgetFrame(shop);
    await shop.getByLabel('Name').fill('Ada Lovelace');
    await shop.getByRole('button', { name: 'Sign in as this person' }).click();
    await frame.getByTestId('identity').waitFor();
    await clickLauncher(shop);
    await frame.getByLabel('Subject').fill('Chairs for a balcony');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const composer = frame.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello! Which of your chairs fold flat for a small balcony?');
    await composer.press('Enter');
    await frame.locator('.message.mine .bubble').waitFor();
    const asked = (await sam.activeRooms()).results.find((r) => r.subject === 'Chairs for a balcony');
    if (!asked) throw new Error('The embedded chat opened no room');
    await sam.joinRoom(asked.id);
    await sam.sendMessage(
      asked.id,
      'Hi Ada! The Teak Folding chair folds to 6 cm and comes in three colours.',
    );
    await frame.locator('.message.theirs .bubble').waitFor();
    await frame.locator('.message.mine', { hasText: 'Seen' }).waitFor();
    await shop.screenshot({ path: path.join(outDir, 'embed.png') });
    process.stdout.write(
      `Saved ${path.relative(process.cwd(), outDir)}/console.png, widget.png and embed.png\n`,
    );
  } finally {
    await harness.close();
  }
}

/**
 * A photo-like PNG drawn by the page (a card on a doormat), pasted into the composer as a person would.
 * Page scripts are strings here: tsx keeps function names with a helper the page does not have.
 */
async function pastePhoto(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 960;
    canvas.height = 640;
    const g = canvas.getContext('2d');
    g.fillStyle = '#8d6e4f';
    g.fillRect(0, 0, 960, 640);
    g.fillStyle = '#f4f1ea';
    g.fillRect(250, 150, 460, 300);
    g.fillStyle = '#c0392b';
    g.fillRect(250, 150, 460, 60);
    g.fillStyle = '#555555';
    for (let line = 0; line < 4; line += 1) g.fillRect(290, 250 + line * 44, 380 - line * 60, 14);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const data = new DataTransfer();
    data.items.add(new File([blob], 'image.png', { type: 'image/png' }));
    document.querySelector('.composer textarea').dispatchEvent(
      new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }),
    );
  })()`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
