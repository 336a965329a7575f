#!/usr/bin/env node
// `pnpm hostmirror …` (the root package.json's script): runs the CLI bundle that users of the
// published package run (packages/cli/dist/bin/hostmirror.js, made by tools/bundle-cli.ts), and
// first makes it again when it is missing or any file it was made from changed (their sizes and
// mtimes are in dist/bin/inputs.json: tools/bundle-freshness.mjs), so an edit to packages/*/src
// is what the next run does.
// Plain JavaScript, so that checking costs a few stat calls and no TypeScript loader.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleIsCurrent } from './bundle-freshness.mjs';

const root = new URL('../', import.meta.url);
const entry = new URL('packages/cli/dist/bin/hostmirror.js', root);

if (!bundleIsCurrent(root)) {
  const bundler = fileURLToPath(new URL('bundle-cli.ts', import.meta.url));
  const made = spawnSync(process.execPath, ['--import', 'tsx', bundler, '--quiet'], {
    cwd: fileURLToPath(root),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (made.status !== 0) {
    process.stderr.write(
      `hostmirror: could not bundle the CLI (tools/bundle-cli.ts exited ${made.status ?? made.signal}); its errors are above. fix: correct them, or run from source with \`pnpm hostmirror:src\`.\n`,
    );
    process.exit(1);
  }
}
await import(entry.href);
