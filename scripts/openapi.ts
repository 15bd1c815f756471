/**
 * `npm run -s openapi -- [--out FILE] [--server URL | --stage NAME [--region REGION]]`: writes the
 * API's OpenAPI document (the one `GET /openapi.json` serves) to FILE (`openapi.json` by default,
 * `-` for stdout), with URL, or the deployed stage's `ApiUrl`, as its server.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeDeployedStage } from '#infra/deployed-stage.ts';
import { parseStage } from '#infra/stage.ts';
import { openApiDocument } from '#openapi/openapi-document.ts';

const USAGE = 'usage: npm run -s openapi -- [--out FILE] [--server URL | --stage NAME [--region REGION]]';

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        out: { type: 'string', default: 'openapi.json' },
        server: { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();

if (values.server !== undefined && values.stage !== undefined) fail(`--server and --stage: give one\n${USAGE}`);
if (values.server !== undefined && !URL.canParse(values.server)) fail(`--server must be a URL, got ${values.server}`);

let serverUrl = values.server;
if (values.stage !== undefined) {
  try {
    const client = new CloudFormationClient(values.region ? { region: values.region } : {});
    // Every path of the document starts with `/`; a stack deployed before ApiUrl lost its trailing one still has it.
    serverUrl = (await describeDeployedStage(parseStage(values.stage), client)).apiUrl.replace(/\/+$/, '');
  } catch (error) {
    console.error(`openapi: ${(error as Error).message}`);
    process.exit(1);
  }
}

const text = `${JSON.stringify(openApiDocument(serverUrl === undefined ? {} : { serverUrl }), null, 2)}\n`;
if (values.out === '-') {
  process.stdout.write(text);
} else {
  writeFileSync(values.out, text);
  console.error(`openapi: wrote ${resolve(values.out)}${serverUrl ? ` (server ${serverUrl})` : ''}`);
}
