import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = join(ROOT, 'packages', 'quota-guard');
const CONSUMER = join(ROOT, 'test', 'guard-consumer');

/**
 * What the consumer project gets from this repository's node_modules instead of the registry: the
 * guard's peer dependencies, the type packages its own code uses, and Middy's optional peer (its
 * types import it, so a `skipLibCheck: false` project needs it), linked as a project that had
 * installed them would have them. Only the guard itself comes from the tarball; the peers' code
 * is not in it, so without these links its imports fail.
 */
const LINKED = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@aws/durable-execution-sdk-js',
  '@middy/core',
  '@smithy/core',
  '@types/aws-lambda',
  '@types/node',
  'aws-cdk-lib',
  'constructs',
];

/** What `npm pack` put in the tarball, as `npm pack --json` lists it. */
let packed: string[];

let dir: string;
let project: string;
let api: TestApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-package-'));
  // `npm pack` runs the package's prepack (the build), as it would before a publish.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: PACKAGE,
    maxBuffer: 16 * 1024 * 1024,
  });
  // The build's own lines come first; the JSON report is the last thing printed.
  packed =
    (JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { files: { path: string }[] }[])[0]?.files.map(
      (file) => file.path,
    ) ?? [];
  const [tarball] = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  project = join(dir, 'consumer');
  cpSync(CONSUMER, project, { recursive: true });
  renameSync(join(dir, tarball), join(project, 'credential-quota-guard.tgz'));
  // Peers are not installed (--legacy-peer-deps), so nothing is fetched: --offline proves it.
  await run('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund'], { cwd: project });
  for (const name of LINKED) {
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  api = await createTestApi();
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const consumer = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, args, {
    cwd: project,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE_NAME: api.db.tableName,
      DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      ...env,
    },
  });

describe('@credential-quota/guard installed from its npm pack tarball', () => {
  it('packs one JS file and one declaration file per entry point, a license and a README, and nothing else', () => {
    expect(packed.sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/cdk.d.ts',
      'dist/cdk.js',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
    const installed = join(project, 'node_modules', '@credential-quota', 'guard');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './cdk': { types: './dist/cdk.d.ts', default: './dist/cdk.js' },
    });
  });

  it('carries no SDK code: @aws-sdk and @smithy are imported from the peers, never bundled', () => {
    const installed = join(project, 'node_modules', '@credential-quota', 'guard');
    for (const file of ['dist/index.js', 'dist/cdk.js']) {
      const code = readFileSync(join(installed, file), 'utf8');
      // esbuild heads every bundled module with its path: none may come from node_modules.
      expect(code, file).not.toMatch(/^\/\/ .*node_modules\//m);
      expect(code, file).not.toMatch(/@smithy\/[a-z-]+\/dist|@aws-sdk\/[a-z-]+\/dist/);
    }
    const index = readFileSync(join(installed, 'dist', 'index.js'), 'utf8');
    expect(index).toMatch(/^import \{[^}]*\} from "@smithy\/core\/retry";$/m);
    expect(index).toMatch(/^import \{[^}]*\} from "@aws-sdk\/util-dynamodb";$/m);
    const peers = Object.keys(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).peerDependencies);
    const imported = [...index.matchAll(/^import .* from "(@[a-z-]+\/[a-z-]+)[^"]*";$/gm)].map(([, name]) => name);
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(peers).toContain(name);
  });

  it('carries none of the store the guard does not use: no Scan, no table migration, no control plane', () => {
    const index = readFileSync(join(project, 'node_modules', '@credential-quota', 'guard', 'dist', 'index.js'), 'utf8');
    expect(index).not.toContain('ScanCommand');
    expect(index).not.toMatch(/^\/\/ lib\/store\/(migration\/table-migration|control-plane)\//m);
  });

  it('declares only the public API, and the consumer typechecks against it with skipLibCheck off', async () => {
    const installed = join(project, 'node_modules', '@credential-quota', 'guard');
    const index = readFileSync(join(installed, 'dist', 'index.d.ts'), 'utf8');
    // The repository's folders and aliases are gone: the roll-up imports only other packages.
    expect([...index.matchAll(/^import .* from '([^']+)';$/gm)].map(([, from]) => from).sort()).toEqual([
      '@aws-sdk/lib-dynamodb',
      '@middy/core',
    ]);
    const exported = index.match(/^export (?:type )?\{[^}]*\};$/gm)?.join(' ') ?? '';
    for (const name of ['quotaGuard', 'createGuardDeps', 'GuardTableOptions', 'QuotaGuardOptions', 'ConsumeDeps']) {
      expect(exported).toMatch(new RegExp(`\\b${name}\\b`));
    }
    // Internal types the API names are declared for the checker but not exported.
    expect(index).toMatch(/^declare class SubcounterCache\b/m);
    expect(exported).not.toMatch(/\bSubcounterCache\b|\bcreateConsumeStore\b|\bDb\b/);
    const tsconfig = JSON.parse(readFileSync(join(project, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.skipLibCheck).toBe(false);
    await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(project, 'tsconfig.json')], { cwd: project });
  }, 180_000);

  it('guards a handler against DynamoDB Local: the limit exactly, then 429; with leases the same admissions', async () => {
    const { call, createQuota, bind, project: projectId, instanceId } = await newInstance(api);
    const env = (appKey: string) => ({ APP_KEY: appKey, QUOTA_PROJECT_ID: projectId, QUOTA_INSTANCE_ID: instanceId });
    const exact = (await call('POST', '/apps', { name: 'exact' })).body;
    const leased = (await call('POST', '/apps', { name: 'leased' })).body;
    await bind(await createQuota('exact', { call_limits: 3, time_unit: 'DAY', time_interval: 1 }), [exact.id]);
    const leasedQuota = await createQuota('leased', { call_limits: 7, time_unit: 'DAY', time_interval: 1 });
    await bind(leasedQuota, [leased.id]);

    const exactRun = JSON.parse((await consumer(['main.ts', 'exact', '5'], env(exact.app_key))).stdout);
    expect(exactRun.map((answer: { status: number }) => answer.status)).toEqual([200, 200, 200, 429, 429]);
    expect(exactRun[0].body).toBe('hello');
    expect((await call('GET', `/apps/${exact.id}/quota-usage`)).body).toMatchObject({ used: 3, remaining: 0 });

    // One container, leases of 5: the first take holds 5 of 7; then 2 are left, fewer than 4 x 5,
    // so the last two are consumed exactly. All 7 admitted, none more.
    const leasedRun = JSON.parse((await consumer(['main.ts', 'leased', '9'], env(leased.app_key))).stdout);
    expect(leasedRun.map((answer: { status: number }) => answer.status)).toEqual([
      200, 200, 200, 200, 200, 200, 200, 429, 429,
    ]);
    expect(leasedRun[0].rateLimit).toBe(`"${leasedQuota}";r=6;t=86400`);
    expect((await call('GET', `/apps/${leased.id}/quota-usage`)).body).toMatchObject({ used: 7, remaining: 0 });
  }, 120_000);

  it('grantQuotaGuard gives a function GetItem and UpdateItem on the table and its name, from the exports', async () => {
    const template = JSON.parse((await consumer(['stack.ts'])).stdout);
    // biome-ignore lint/suspicious/noExplicitAny: a synthesized template, read freely
    const resources = Object.values(template.Resources) as { Type: string; Properties: any }[];
    const policy = resources.find((resource) => resource.Type === 'AWS::IAM::Policy');
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: { 'Fn::ImportValue': 'credential-quota-dev-TableArn' },
      },
    ]);
    const fn = resources.find((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Environment.Variables).toEqual({
      TABLE_NAME: { 'Fn::ImportValue': 'credential-quota-dev-TableName' },
    });
  }, 120_000);
});
