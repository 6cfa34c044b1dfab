import { vi } from 'vitest';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

/**
 * Powertools' JSON lines written to stdout or stderr from now until the spies are restored (`vi.restoreAllMocks`):
 * the stack alarms on `{ $.level = "ERROR" }`, so the tests read the same lines.
 */
export function captureLogs(): () => LogLine[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  return () =>
    lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
}
