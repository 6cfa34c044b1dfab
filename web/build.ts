/**
 * Builds the web pages with esbuild: `npm run build:web` writes them to dist/web/ (what the CDK stack
 * hosts), and local/web.ts builds the same thing in memory for `npm start`.
 *
 *   dist/web/index.html     landing page and OAuth redirect URI
 *   dist/web/console.html   staff console
 *   dist/web/widget.html    customer widget (and, with `?embed=1`, the widget inside embed.js's frame)
 *   dist/web/embed.js       the script a site adds to its pages (docs/embed.md): one small classic script
 *   dist/web/assets/…       ES modules (shared code split into chunks), CSS, source maps
 *
 * config.json is not part of the build: the stack (or `npm start`) writes it beside the pages.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { BuildOptions, OutputFile } from 'esbuild';
import * as esbuild from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(webDir, '..');
export const defaultOutDir = path.join(repoRoot, 'dist', 'web');

interface Page {
  readonly file: string;
  readonly entry: string;
  readonly title: string;
  readonly body: string;
}

const pages: readonly Page[] = [
  {
    file: 'index.html',
    entry: 'home',
    title: 'Live chat',
    body: `<main class="home">
  <h1>Live chat</h1>
  <p class="muted" id="status">Customer support in real time.</p>
  <ul>
    <li><a class="card" href="/widget.html"><strong>Customer widget</strong><br><span class="muted">Start a chat with support.</span></a></li>
    <li><a class="card" href="/console.html"><strong>Support console</strong><br><span class="muted">For support staff: the queue and every conversation.</span></a></li>
  </ul>
</main>`,
  },
  {
    file: 'console.html',
    entry: 'console',
    title: 'Support console',
    body: '<div id="app"></div>',
  },
  {
    file: 'widget.html',
    entry: 'widget',
    title: 'Customer support',
    body: '<div id="app"></div>',
  },
];

function html(page: Page): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${page.title}</title>
<link rel="stylesheet" href="/assets/${page.entry}.css">
<script type="module" src="/assets/${page.entry}.js"></script>
</head>
<body>
${page.body}
<noscript>This page needs JavaScript.</noscript>
</body>
</html>
`;
}

/** esbuild settings shared by the on-disk and the in-memory build. */
export function buildOptions(outdir: string, write: boolean): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: Object.fromEntries(
      pages.map((page) => [
        page.entry,
        path.join(webDir, page.entry, page.entry === 'home' ? 'main.ts' : 'main.tsx'),
      ]),
    ),
    outdir: path.join(outdir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    write,
    logLevel: 'silent',
  };
}

/**
 * esbuild settings for `embed.js`: one classic script (an IIFE, no chunks, no Preact) at a fixed address
 * beside the pages, since site owners paste its URL into their pages.
 */
export function embedBuildOptions(outdir: string, write: boolean): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: { embed: path.join(webDir, 'embed', 'embed.ts') },
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    entryNames: '[name]',
    write,
    logLevel: 'silent',
  };
}

/** The pages' HTML files, by path relative to the output folder. */
export function htmlFiles(): Map<string, string> {
  return new Map(pages.map((page) => [page.file, html(page)]));
}

export interface BuiltFile {
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Writes the pages to `outdir` (emptied first) and returns the size of every file. */
export async function buildWeb(outdir: string = defaultOutDir): Promise<BuiltFile[]> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const results = await Promise.all([
    esbuild.build(buildOptions(outdir, false)),
    esbuild.build(embedBuildOptions(outdir, false)),
  ]);
  const files: { path: string; contents: Uint8Array }[] = results
    .flatMap((result) => result.outputFiles ?? [])
    .map((file: OutputFile) => ({ path: file.path, contents: file.contents }));
  for (const [name, text] of htmlFiles())
    files.push({ path: path.join(outdir, name), contents: Buffer.from(text) });
  const built: BuiltFile[] = [];
  for (const file of files) {
    await mkdir(path.dirname(file.path), { recursive: true });
    await writeFile(file.path, file.contents);
    built.push({
      path: path.relative(outdir, file.path),
      bytes: file.contents.byteLength,
      gzipBytes: gzipSync(file.contents, { level: 9 }).byteLength,
    });
  }
  return built.sort((a, b) => a.path.localeCompare(b.path));
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

async function main(): Promise<void> {
  const outdir = process.argv[2] ? path.resolve(process.argv[2]) : defaultOutDir;
  const files = await buildWeb(outdir);
  process.stdout.write(`Built the web pages into ${path.relative(process.cwd(), outdir) || '.'}\n`);
  for (const file of files.filter((f) => !f.path.endsWith('.map') && !f.path.endsWith('.txt'))) {
    process.stdout.write(
      `  ${file.path.padEnd(44)} ${kb(file.bytes).padStart(9)}  ${kb(file.gzipBytes).padStart(8)} gzip\n`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
