import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#openapi/openapi-document.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node scripts/openapi.ts` (what `npm run openapi` runs). */
const openapi = (...args: string[]) => run(process.execPath, ['scripts/openapi.ts', ...args], { env: process.env });

describe('npm run openapi', () => {
  it('writes the served document to a file, with the given URL as its server, and it validates', async () => {
    const out = join(dir, 'api.json');
    const { stderr } = await openapi('--out', out, '--server', 'https://quota.example.com/v1');
    expect(stderr).toContain(out);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written).toEqual(openApiDocument({ serverUrl: 'https://quota.example.com/v1' }));
    await expect(SwaggerParser.validate(written)).resolves.toMatchObject({ openapi: '3.1.0' });
  });

  it('writes it to stdout with --out -, without servers when none is given', async () => {
    const { stdout } = await openapi('--out', '-');
    expect(JSON.parse(stdout)).toEqual(openApiDocument());
  });

  it('refuses a server that is not a URL, and --server with --stage', async () => {
    await expect(openapi('--out', '-', '--server', 'not a url')).rejects.toMatchObject({ code: 2 });
    await expect(openapi('--server', 'https://a.example', '--stage', 'dev')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('give one'),
    });
  });
});
