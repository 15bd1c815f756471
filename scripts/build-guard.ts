/**
 * Builds `packages/quota-guard/dist` (run by that package's `prepack`, so `npm pack` there always
 * packs a fresh build): each entry point bundled by esbuild into one ESM file, the peer
 * dependencies left to the installing project, and the declarations emitted by tsc with their
 * `#folder/` aliases and `.ts` specifiers rewritten to relative `.js` ones (what resolves next to
 * the shipped `.d.ts` files). Fails when an alias, which resolves only inside this repository, survived.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGE = join(ROOT, 'packages', 'quota-guard');
const DIST = join(PACKAGE, 'dist');
const TYPES = join(DIST, 'types');
const { peerDependencies } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

rmSync(DIST, { recursive: true, force: true });
await build({
  entryPoints: { index: join(ROOT, 'lib', 'guard', 'index.ts'), cdk: join(ROOT, 'lib', 'guard', 'cdk.ts') },
  outdir: DIST,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The user's SDK client and CDK: one copy of each in their function, so `instanceof` on the
  // SDK's exceptions holds and the construct tree is one.
  external: Object.keys(peerDependencies).flatMap((name) => [name, `${name}/*`]),
  logLevel: 'warning',
});
execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(PACKAGE, 'tsconfig.json')], { stdio: 'inherit' });
/** A declaration's specifier as it resolves in the package: `#store/x.ts` is `lib/store/x.ts`, emitted under TYPES. */
const shippedSpecifier = (file: string, specifier: string): string => {
  const target = specifier.startsWith('#') ? join(TYPES, specifier.slice(1)) : join(dirname(file), specifier);
  const path = relative(dirname(file), target).replace(/\.ts$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
};
for (const file of filesUnder(DIST)) {
  if (file.endsWith('.d.ts')) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace(
        /((?:from|import)\s*\(?\s*')([.#][^']*\.ts)'/g,
        (_, head, spec) => `${head}${shippedSpecifier(file, spec)}'`,
      ),
    );
  }
  if (/['"]#[a-z-]+\//.test(readFileSync(file, 'utf8'))) throw new Error(`build-guard: ${file} still imports an alias`);
}
console.log(`build-guard: ${filesUnder(DIST).length} files in ${DIST}`);
