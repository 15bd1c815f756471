import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { marshall } from '@aws-sdk/util-dynamodb';
import { build } from 'esbuild';
import type { FunctionName } from '#routing/route-types.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

/** One bundle as the stack would deploy it, and what it costs to load, against the floor's. */
export interface BundleResult {
  readonly bytes: number;
  readonly map_bytes: number;
  /** Median time to import it in a fresh Node process (its module graph and top-level code: createControlPlaneDeps). */
  readonly import_ms: number;
  /** The same with `--enable-source-maps`, which the stack sets in the functions' NODE_OPTIONS. */
  readonly import_ms_source_maps: number;
  readonly bytes_ratio_to_floor: number;
  /** import_ms over the floor's, medians of the same interleaved fresh processes. */
  readonly import_ratio_to_floor: number;
  /** Data plane and floor only: import plus the first call (a consume / one UpdateItem), fresh process. */
  readonly first_call_ms?: number;
  readonly first_call_ratio_to_floor?: number;
}

/** The floor's name in `bundles`. */
export const FLOOR = 'floor';

/** The bundles whose first call is measured: the data plane, against the floor. */
const FIRST_CALL: readonly string[] = [FLOOR, 'quota-consumptions'];

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const entryOf = (name: string): string =>
  name === FLOOR ? join(REPO_ROOT, 'scripts', 'bench', 'floor-entry.ts') : join(REPO_ROOT, 'functions', `${name}.ts`);

/**
 * Bundles `functions/<name>.ts` (or the floor) with the options the stack gives NodejsFunction
 * (see lib/infra/quota-function.ts and aws-cdk-lib's esbuild arguments): ESM, minified, platform
 * node, target node24, the createRequire banner, the default stage's verifier define, module-first main fields, linked source map
 * without sources, and everything bundled, the AWS SDK included (`bundleAwsSDK: true`).
 */
export const bundleFunction = async (name: FunctionName | typeof FLOOR, outDir: string): Promise<string> => {
  // Loaded here, not at the top: it pulls in aws-cdk-lib, which the timed phases need not carry.
  const { BUNDLE_TARGET, ESM_REQUIRE_BANNER, bundledVerifierDefine } = await import('#infra/quota-function.ts');
  const outfile = join(outDir, name, 'index.mjs');
  await build({
    entryPoints: [entryOf(name)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    // The default stage's: HS256 tokens, so the bundle carries no JWKS client.
    define: bundledVerifierDefine('hs256'),
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
};

const BASE_ENV = { AWS_REGION: 'us-east-1', TABLE_NAME: 'credential-quota' };

/** Milliseconds a fresh Node process takes to import `file` (and, with `event`, to answer its first call). */
const timeOnce = async (file: string, nodeOptions: string, env: Record<string, string> = {}): Promise<number> => {
  const code = [
    'const t = performance.now();',
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'if (process.env.BENCH_CALL) {',
    '  const event = process.env.BENCH_EVENT ? JSON.parse(process.env.BENCH_EVENT) : {};',
    "  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };",
    '  const answer = await m.handler(event, context);',
    "  if (process.env.BENCH_EVENT && answer.statusCode !== 200) throw new Error('first call answered ' + JSON.stringify(answer));",
    '}',
    'console.log(performance.now() - t);',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...BASE_ENV, NODE_OPTIONS: nodeOptions, ...env },
  });
  const ms = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(ms)) throw new Error(`import of ${file} printed ${stdout}`);
  return ms;
};

/**
 * A stand-in DynamoDB that answers every request at once with a bound counter that has units
 * left: the first call's time is then the client side's alone (SDK, middleware, our code), the same
 * for the floor and the data plane, and no JVM competes for the CPU.
 */
const startFakeDynamoDb = async (): Promise<{ endpoint: string; stop: () => Promise<void> }> => {
  const body = JSON.stringify({
    Attributes: marshall({
      pk: 'floor',
      sk: 'floor',
      type: 'counter',
      app_id: '0'.repeat(32),
      subcounter: 0,
      subcounters: 1,
      quota_id: '1'.repeat(32),
      call_limits: 1000,
      limit_units: 1000,
      window_ms: 60_000,
      config_version: 1,
      window_end_ms: Date.now() + 3_600_000,
      remaining: 999,
    }),
  });
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise((done) => server.close(() => done())),
  };
};

/** What a first call of the data plane sends: a consume, authenticated, as API Gateway would. */
export interface FirstCall {
  /** The consume's API Gateway event, its token signed with `jwtSecret`. */
  readonly event: unknown;
  readonly jwtSecret: string;
}

/**
 * Builds the functions' bundles and the floor's, then measures them in fresh processes,
 * interleaved (one process per bundle in turn, `runs` rounds), so that a busy moment of the
 * machine weighs on every bundle alike: import, import with source maps, and for the data plane
 * and the floor, import plus the first call. Ratios are of medians to the floor's.
 */
export const measureBundles = async (
  names: readonly FunctionName[],
  outDir: string,
  runs: number,
  firstCall: FirstCall,
): Promise<Record<string, BundleResult>> => {
  const all = [FLOOR, ...names];
  const files = Object.fromEntries(
    await Promise.all(all.map(async (name) => [name, await bundleFunction(name as FunctionName, outDir)] as const)),
  );
  const samples = Object.fromEntries(
    all.map((name) => [name, { plain: [] as number[], maps: [] as number[], first: [] as number[] }]),
  );
  const dynamo = await startFakeDynamoDb();
  try {
    const callEnv = (name: string): Record<string, string> => ({
      BENCH_CALL: '1',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AUTH_JWT_SECRET: firstCall.jwtSecret,
      AWS_LAMBDA_FUNCTION_NAME: name,
      ...(name === FLOOR ? {} : { BENCH_EVENT: JSON.stringify(firstCall.event) }),
    });
    for (let round_ = 0; round_ < runs; round_ += 1) {
      for (const name of all) {
        const file = files[name] as string;
        const sample = samples[name] as { plain: number[]; maps: number[]; first: number[] };
        sample.plain.push(await timeOnce(file, ''));
        sample.maps.push(await timeOnce(file, '--enable-source-maps'));
        if (FIRST_CALL.includes(name)) sample.first.push(await timeOnce(file, '', callEnv(name)));
      }
    }
  } finally {
    await dynamo.stop();
  }
  const floorFile = files[FLOOR] as string;
  const floorImport = median(samples[FLOOR]?.plain ?? []);
  const floorFirst = median(samples[FLOOR]?.first ?? []);
  return Object.fromEntries(
    all.map((name) => {
      const file = files[name] as string;
      const sample = samples[name] as { plain: number[]; maps: number[]; first: number[] };
      const bytes = statSync(file).size;
      const importMs = median(sample.plain);
      const result: BundleResult = {
        bytes,
        map_bytes: statSync(`${file}.map`).size,
        import_ms: round(importMs, 1),
        import_ms_source_maps: round(median(sample.maps), 1),
        bytes_ratio_to_floor: round(bytes / statSync(floorFile).size, 2),
        import_ratio_to_floor: round(importMs / floorImport, 2),
        ...(sample.first.length > 0
          ? {
              first_call_ms: round(median(sample.first), 1),
              first_call_ratio_to_floor: round(median(sample.first) / floorFirst, 2),
            }
          : {}),
      };
      return [name, result];
    }),
  );
};
