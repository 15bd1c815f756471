/**
 * Builds `packages/quota-guard/dist` (run by that package's `prepack`, so `npm pack` there always
 * packs a fresh build): each entry point bundled by esbuild into one ESM file, the peer
 * dependencies (the AWS SDK, Smithy, Middy, the CDK) left to the installing project, and one
 * declaration file per entry point rolled up by rollup-plugin-dts from tsc's declarations, so a
 * user sees the public API and the types it names, not the repository's folders. tsc's files go to
 * a scratch folder with their `#folder/` aliases and `.ts` specifiers rewritten to relative `.js`
 * ones first (what the roll-up resolves). Fails when an alias, which resolves only inside this
 * repository, or a peer's code survived.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGE = join(ROOT, 'packages', 'quota-guard');
const DIST = join(PACKAGE, 'dist');
const TYPES = join(PACKAGE, '.types');
const ENTRIES = ['index', 'cdk'] as const;
const { peerDependencies } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
};
/**
 * What stays an import in the JS and the declarations: the peers, any of their subpaths, and the
 * packages whose types only the user's project brings (`aws-lambda` is `@types/aws-lambda`).
 */
const EXTERNAL = [...Object.keys(peerDependencies), 'aws-lambda'];
const isExternal = (id: string): boolean =>
  id.startsWith('node:') || EXTERNAL.some((name) => id === name || id.startsWith(`${name}/`));

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

rmSync(DIST, { recursive: true, force: true });
rmSync(TYPES, { recursive: true, force: true });
// The repository's license, which the package is under too: npm packs a LICENSE at the package's root.
copyFileSync(join(ROOT, 'LICENSE'), join(PACKAGE, 'LICENSE'));
const { metafile } = await build({
  entryPoints: Object.fromEntries(ENTRIES.map((entry) => [entry, join(ROOT, 'lib', 'guard', `${entry}.ts`)])),
  outdir: DIST,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The user's SDK client and CDK: one copy of each in their function, so `instanceof` on the
  // SDK's exceptions holds and the construct tree is one.
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  metafile: true,
  logLevel: 'warning',
});
const bundledPackages = Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/'));
if (bundledPackages.length > 0) throw new Error(`build-guard: bundled, not a peer: ${bundledPackages.join(', ')}`);
execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(PACKAGE, 'tsconfig.json')], { stdio: 'inherit' });
/** A declaration's specifier as it resolves in the package: `#store/x.ts` is `lib/store/x.ts`, emitted under TYPES. */
const shippedSpecifier = (file: string, specifier: string): string => {
  const target = specifier.startsWith('#') ? join(TYPES, specifier.slice(1)) : join(dirname(file), specifier);
  const path = relative(dirname(file), target).replace(/\.ts$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
};
for (const file of filesUnder(TYPES)) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(
    file,
    text.replace(
      /((?:from|import)\s*\(?\s*')([.#][^']*\.ts)'/g,
      (_, head, spec) => `${head}${shippedSpecifier(file, spec)}'`,
    ),
  );
}
for (const entry of ENTRIES) {
  const bundle = await rollup({
    input: join(TYPES, 'guard', `${entry}.d.ts`),
    external: isExternal,
    plugins: [dts({ respectExternal: false })],
    onwarn: (warning) => {
      throw new Error(`build-guard: ${entry}.d.ts: ${warning.message}`);
    },
  });
  await bundle.write({ file: join(DIST, `${entry}.d.ts`), format: 'es' });
  await bundle.close();
}
rmSync(TYPES, { recursive: true, force: true });
for (const file of filesUnder(DIST)) {
  if (/['"]#[a-z-]+\//.test(readFileSync(file, 'utf8'))) throw new Error(`build-guard: ${file} still imports an alias`);
}
console.log(`build-guard: ${filesUnder(DIST).length} files in ${DIST}`);
