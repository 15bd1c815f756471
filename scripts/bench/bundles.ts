import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { FunctionName } from '#lib/routes.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

/** One function's bundle as the stack deploys it. */
export interface BundleResult {
  readonly bytes: number;
  readonly map_bytes: number;
  /** Median time to import it in a fresh Node process (its module graph and top-level code: createDeps). */
  readonly import_ms: number;
  /** The same with `--enable-source-maps`, which the stack sets in the functions' NODE_OPTIONS. */
  readonly import_ms_source_maps: number;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles `functions/<name>.ts` with the options the stack gives NodejsFunction (see
 * lib/infra/quota-function.ts and aws-cdk-lib's esbuild arguments): ESM, minified, platform node,
 * target node24, the createRequire banner, module-first main fields, linked source map without
 * sources, and everything bundled, the AWS SDK included (`bundleAwsSDK: true`).
 */
export const bundleFunction = async (name: FunctionName, outDir: string): Promise<string> => {
  // Loaded here, not at the top: it pulls in aws-cdk-lib, which the timed phases need not carry.
  const { BUNDLE_TARGET, ESM_REQUIRE_BANNER } = await import('#lib/infra/quota-function.ts');
  const outfile = join(outDir, name, 'index.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'functions', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
};

/** Milliseconds to import `file` in a fresh Node process, measured inside it. */
const importOnce = async (file: string, nodeOptions: string): Promise<number> => {
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'credential-quota',
      NODE_OPTIONS: nodeOptions,
    },
  });
  const ms = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(ms)) throw new Error(`import of ${file} printed ${stdout}`);
  return ms;
};

/** Builds a function's bundle and measures its size and import time (`runs` fresh processes each way). */
export const measureBundle = async (name: FunctionName, outDir: string, runs: number): Promise<BundleResult> => {
  const file = await bundleFunction(name, outDir);
  const plain: number[] = [];
  const withMaps: number[] = [];
  for (let n = 0; n < runs; n += 1) {
    plain.push(await importOnce(file, ''));
    withMaps.push(await importOnce(file, '--enable-source-maps'));
  }
  return {
    bytes: statSync(file).size,
    map_bytes: statSync(`${file}.map`).size,
    import_ms: round(median(plain), 1),
    import_ms_source_maps: round(median(withMaps), 1),
  };
};
