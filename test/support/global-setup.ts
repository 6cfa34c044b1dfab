import { findChromium } from './chromium.js';

/**
 * Runs once per `vitest run`, before any worker: finds (or unpacks) Chromium and hands its path to the
 * workers through `CHROMIUM_PATH`, so two browser suites never unpack it at the same time.
 */
export default function setup(): void {
  const chromium = findChromium();
  process.env.CHROMIUM_PATH = chromium.path;
  console.log(`Browser tests use Chromium from ${chromium.source}: ${chromium.path}`);
}
