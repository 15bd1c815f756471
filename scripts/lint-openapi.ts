/**
 * `npm run -s lint:openapi`: Redocly CLI's `lint` (recommended rules, `redocly.yaml`) of the document
 * `GET /openapi.json` serves, failing on any error or warning. Offline: the CLI comes from
 * node_modules and its telemetry and update check are off.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openApiDocument } from '#openapi/openapi-document.ts';

const root = resolve(import.meta.dirname, '..');
// The config and its ignore file sit beside the document, whose path the ignore file names.
const dir = mkdtempSync(join(tmpdir(), 'redocly-'));
try {
  for (const file of ['redocly.yaml', '.redocly.lint-ignore.yaml']) copyFileSync(join(root, file), join(dir, file));
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(openApiDocument({ serverUrl: '/' }), null, 2));
  const run = spawnSync(
    join(root, 'node_modules/.bin/redocly'),
    ['lint', 'openapi.json', '--config', 'redocly.yaml', '--max-problems', '1000'],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  const output = `${run.stdout}${run.stderr}`;
  process.stdout.write(output);
  // The CLI exits 0 on warnings: they fail here too.
  const warned = /You have \d+ warnings?/.test(output);
  if (run.status !== 0 || warned) {
    console.error(`lint:openapi: ${warned ? 'warnings' : `redocly exited ${run.status}`}`);
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
