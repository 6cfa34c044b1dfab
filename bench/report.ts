/**
 * What every bench script shares: the limits its senders run under and how its tables are printed.
 */

/**
 * `RATE_LIMITS` for a bench stack: a handful of users send every message, so the limits sit far above what
 * they send, and are still counted (one write per message), as in production.
 */
export const BENCH_RATE_LIMITS = JSON.stringify({
  rooms_opened: [[1_000_000, 600]],
  messages: [[1_000_000, 10]],
  typing: [[1_000_000, 1]],
  guest_sessions: [[1_000_000, 1800]],
  sockets: 100_000,
});

/** A Markdown table, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
