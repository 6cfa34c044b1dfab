import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Finds the Chromium the browser tests drive, so that `npm ci && npm test` passes on a bare machine:
 *
 * 1. `CHROMIUM_PATH`, when set (it must exist);
 * 2. a Chromium on the PATH (`chromium`, `chromium-browser`, `google-chrome`), such as Debian's;
 * 3. otherwise the headless Chromium that `@sparticuz/chromium` ships inside its npm package, unpacked once
 *    per checkout into `node_modules/.cache/` (about 2 s the first time).
 *
 * The package would unpack into the shared `/tmp` and answers any `/tmp/chromium` it finds, even one that a
 * concurrent run is still writing. So it unpacks in a child process whose `TMPDIR` is a staging folder of
 * this process's own, and the folder is renamed into place: a rename is atomic, and the loser of a race
 * uses the winner's copy.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string; source: string } {
  const given = env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH is ${given}, which does not exist`);
    return { path: given, source: 'CHROMIUM_PATH' };
  }
  const onPath = findOnPath(['chromium', 'chromium-browser', 'google-chrome'], env.PATH ?? '');
  if (onPath) return { path: onPath, source: 'PATH' };
  return { path: unpackNpmChromium(), source: '@sparticuz/chromium' };
}

function findOnPath(names: readonly string[], searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here: try the next folder.
      }
    }
  }
  return undefined;
}

function unpackNpmChromium(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (build/index.js), not its package.json.
  const entry = require.resolve('@sparticuz/chromium');
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const cache = path.resolve(root, '../../.cache');
  const target = path.join(cache, `sparticuz-chromium-${version}`);
  const binary = path.join(target, 'chromium');
  if (existsSync(binary)) return binary;

  const staging = path.join(cache, `sparticuz-chromium-${version}.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { default: c } = await import(${JSON.stringify(pathToFileURL(entry).href)}); await c.executablePath();`,
      ],
      { env: { ...process.env, TMPDIR: staging }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    renameSync(staging, target);
  } catch (error) {
    // A concurrent run renamed its copy into place first; anything else is a real failure.
    if (!existsSync(binary)) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}
