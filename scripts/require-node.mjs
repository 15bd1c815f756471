/**
 * `node scripts/require-node.mjs COMMAND`: exits 1 with one line naming the fix when this Node is
 * older than package.json's `engines.node`. The npm scripts that need Node 24 run it first, and
 * it is plain JavaScript so that it runs on any Node: Node 24 reaches npm scripts through the
 * `node` devDependency's install script, and where npm ran no install scripts
 * (`npm ci --ignore-scripts`, or a future npm that asks before running them) the machine's older
 * Node would otherwise fail deep inside Middy or on the first TypeScript file.
 */
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wanted = Number(/^>=\s*(\d+)/.exec(engines.node)?.[1]);
const running = Number(process.versions.node.split('.')[0]);
if (!(running >= wanted)) {
  const command = process.argv[2] ?? 'this command';
  console.error(
    `${command} needs Node ${wanted}+ (this is Node ${process.versions.node}): run \`npm rebuild node\` ` +
      '(npm ran no install scripts, so the `node` devDependency did not install Node 24), ' +
      'or `nvm use` (reads .nvmrc) and run it again',
  );
  process.exit(1);
}
