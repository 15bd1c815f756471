/**
 * `npm run -s openapi -- [--out FILE] [--server URL | --stage NAME [--region REGION]]`: writes the
 * API's OpenAPI document (the one `GET /openapi.json` serves) to FILE (`openapi.json` by default,
 * `-` for stdout), with URL, or the deployed stage's `ApiUrl`, as its server.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeDeployedStage } from '#infra/deployed-stage.ts';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { CommandFailure, runCli, UsageError } from './cli/cli.ts';
import { stageArg } from './cli/input.ts';

const COMMAND = {
  name: 'npm run openapi',
  usage: 'usage: npm run -s openapi -- [--out FILE] [--server URL | --stage NAME [--region REGION]]',
  help: `Writes the API's OpenAPI document (the one GET /openapi.json serves) to FILE (openapi.json by
default, - for stdout), with URL, or the deployed stage's ApiUrl (read with your AWS credentials), as
its server.`,
  config: {
    options: {
      out: { type: 'string', default: 'openapi.json' },
      server: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
    },
  },
} as const;

await runCli(COMMAND, async ({ values }) => {
  if (values.server !== undefined && values.stage !== undefined) throw new UsageError('--server and --stage: give one');
  if (values.server !== undefined && !URL.canParse(values.server)) {
    throw new UsageError(`--server must be a URL, got ${values.server}`);
  }

  let serverUrl = values.server;
  if (values.stage !== undefined) {
    const stage = stageArg(values.stage);
    try {
      const client = new CloudFormationClient(values.region ? { region: values.region } : {});
      // Every path of the document starts with `/`; a stack deployed before ApiUrl lost its trailing one still has it.
      serverUrl = (await describeDeployedStage(stage, client)).apiUrl.replace(/\/+$/, '');
    } catch (error) {
      throw new CommandFailure((error as Error).message);
    }
  }

  const text = `${JSON.stringify(openApiDocument(serverUrl === undefined ? {} : { serverUrl }), null, 2)}\n`;
  if (values.out === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(values.out, text);
  } catch (error) {
    throw new CommandFailure(`cannot write ${resolve(values.out)} (${(error as NodeJS.ErrnoException).code})`);
  }
  console.error(`npm run openapi: wrote ${resolve(values.out)}${serverUrl ? ` (server ${serverUrl})` : ''}`);
});
