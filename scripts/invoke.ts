/**
 * `npm run invoke -- <function> <event.json> [--var name=value ...] [--print-event]`: runs one
 * function's handler on an API Gateway event file, without a server, and prints the result.
 *
 * In the event, `{{token}}` becomes a fresh token for the event's project (signed with
 * AUTH_JWT_SECRET) and `{{name}}` the value of `--var name=value`. DynamoDB: DYNAMODB_ENDPOINT, or
 * the DynamoDB Local of a running `npm start`, or one started here on DATA_DIR for this call.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signToken } from '#lib/auth/token-issuer.ts';
import { DEVELOPMENT_JWT_SECRET } from '#lib/config.ts';
import { lambdaContext } from '#lib/local/api-gateway-event.ts';
import { loadFunction } from '#lib/local/functions.ts';
import { prepareLocalDynamoDb } from '#lib/local/local-dynamodb-env.ts';
import { FUNCTION_NAMES, type FunctionName } from '#lib/routes.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { var: { type: 'string', multiple: true, default: [] }, 'print-event': { type: 'boolean', default: false } },
});
const [fn, eventFile] = positionals;
if (!fn || !eventFile || !(FUNCTION_NAMES as readonly string[]).includes(fn)) {
  console.error(
    `usage: npm run invoke -- <${FUNCTION_NAMES.join('|')}> <event.json> [--var name=value] [--print-event]`,
  );
  process.exit(2);
}

const secret = process.env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET;
const raw = readFileSync(eventFile, 'utf8');
const project = /"project_id"\s*:\s*"([^"]+)"/.exec(raw)?.[1] ?? 'demo';
const variables: Record<string, string> = {
  token: await signToken(secret, { projectId: project, actions: ['apig:*'], subject: 'local-invoke' }),
};
for (const pair of values.var) {
  const [name, ...rest] = pair.split('=');
  if (name) variables[name] = rest.join('=');
}
const missing = new Set<string>();
const rendered = raw.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
  if (variables[name] === undefined) missing.add(name);
  return variables[name] ?? '';
});
if (missing.size > 0) {
  console.error(`the event needs --var for: ${[...missing].join(', ')}`);
  process.exit(2);
}
if (values['print-event']) {
  console.log(rendered);
  process.exit(0);
}

const dynamodb = await prepareLocalDynamoDb({ env: process.env, inMemory: false, reuseRunning: true });
process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
process.env.AUTH_JWT_SECRET = secret;
try {
  const handler = await loadFunction(fn as FunctionName);
  const result = await handler(JSON.parse(rendered), lambdaContext(fn));
  console.log(JSON.stringify(result, null, 2));
} finally {
  await dynamodb.stop();
}
