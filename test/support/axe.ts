import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * An automated accessibility audit of what a page shows right now: axe-core, WCAG 2.0/2.1 A and AA rules,
 * injected into the page (or a frame: the embedded widget) and run there. Every page state a browser test
 * reaches can be audited with one line, `await expectAccessible(page, 'console, room open')`; a violation fails
 * the test with axe's rule id, the elements it found and how to fix them.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE_PATH = require.resolve('axe-core/axe.min.js');
let axeSource: Promise<string> | undefined;

const loadAxe = async () => {
  axeSource ??= import('node:fs/promises').then((fs) => fs.readFile(AXE_SOURCE_PATH, 'utf8'));
  return axeSource;
};

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
}

/**
 * WCAG 2.1 AA and everything below it, and axe's best practices (one `main` landmark, all content in
 * landmarks, headings in order), which is what a screen-reader user relies on to find their way.
 */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Runs axe in `target` and returns its violations (empty when it found none). */
export async function axeViolations(target: Page | Frame): Promise<AxeViolation[]> {
  const hasAxe = await target.evaluate(() => 'axe' in window);
  if (!hasAxe) await target.evaluate(await loadAxe());
  return target.evaluate(async (tags) => {
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, TAGS);
}

/** One line per violation and element, for a failure message a person can act on. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .flatMap((v) =>
      v.nodes.map(
        (n) =>
          `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${JSON.stringify(n.target)}\n  ${n.failureSummary ?? ''}`,
      ),
    )
    .join('\n');
}

/** Fails unless axe finds no WCAG 2.1 AA violation in what `target` shows now; `state` names it in the failure. */
export async function expectAccessible(target: Page | Frame, state: string): Promise<void> {
  const violations = await axeViolations(target);
  expect(violations.length === 0 ? '' : `${state}:\n${describeViolations(violations)}`).toBe('');
}
