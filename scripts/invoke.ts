/**
 * `npm run invoke -- <function> <event.json> [--var name=value ...] [--print-event]`: runs one
 * function's handler on an API Gateway event file, without a server, and prints the result.
 * `npm run invoke -- app-quotas events/sweep.json` sends it the EventBridge schedule's event
 * instead: one sweep of the quota deletes under way, and its report.
 *
 * In the event, `{{token}}` becomes a fresh token for the event's project (signed with
 * AUTH_JWT_SECRET) and `{{name}}` the value of `--var name=value`. DynamoDB: DYNAMODB_ENDPOINT, or
 * the DynamoDB of the `npm start` that holds DATA_DIR, or one started here on DATA_DIR for this call.
 */
import { readFileSync } from 'node:fs';
import { DEVELOPMENT_JWT_SECRET } from '#app/config.ts';
import { signToken } from '#auth/token-issuer.ts';
import { lambdaContext } from '#local/api-gateway-event.ts';
import { loadFunction } from '#local/functions.ts';
import { prepareLocalDynamoDb } from '#local/local-dynamodb-env.ts';
import { readLocalSettings } from '#local/local-settings.ts';
import { SetupError } from '#local/setup-error.ts';
import { FUNCTION_NAMES, type FunctionName } from '#routing/route-types.ts';
import { runCli, UsageError } from './cli/cli.ts';

const COMMAND = {
  name: 'npm run invoke',
  usage: `usage: npm run invoke -- <${FUNCTION_NAMES.join('|')}> <event.json> [--var name=value] [--print-event]`,
  help: `Runs one function's handler on an API Gateway event file (events/*.json), without a server, and
prints its result; app-quotas with events/sweep.json runs one sweep. In the event, {{token}} becomes a
fresh token for the event's project and {{name}} the value of --var name=value; --print-event prints
the event instead of running it. DynamoDB: DYNAMODB_ENDPOINT, or the DynamoDB of the npm start that holds
DATA_DIR, or one started on DATA_DIR for the call.`,
  config: {
    allowPositionals: true,
    options: {
      var: { type: 'string', multiple: true, default: [] as string[] },
      'print-event': { type: 'boolean', default: false },
    },
  },
} as const;

const readEvent = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SetupError(
      code === 'ENOENT'
        ? `event file ${file} does not exist: pass one of events/*.json (ls events) or your own file`
        : `event file ${file} cannot be read (${code}): pass a readable JSON file`,
    );
  }
};

await runCli(COMMAND, async ({ values, positionals }) => {
  const [fn, eventFile, ...extra] = positionals;
  if (fn === undefined || eventFile === undefined) throw new UsageError('give a function and an event file');
  if (!(FUNCTION_NAMES as readonly string[]).includes(fn)) {
    throw new UsageError(`unknown function ${JSON.stringify(fn)}: give one of ${FUNCTION_NAMES.join(', ')}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  for (const pair of values.var) {
    if (!/^\w+=/.test(pair)) throw new UsageError(`--var ${JSON.stringify(pair)} is not name=value`);
  }

  const secret = process.env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET;
  const raw = readEvent(eventFile);
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
  if (missing.size > 0) throw new SetupError(`the event needs --var for: ${[...missing].join(', ')}`);
  let event: unknown;
  try {
    event = JSON.parse(rendered);
  } catch (error) {
    throw new SetupError(`event file ${eventFile} is not JSON (${(error as Error).message})`);
  }
  if (values['print-event']) {
    console.log(JSON.stringify(event, null, 2));
    return;
  }

  const settings = readLocalSettings(process.env);
  const dynamodb = await prepareLocalDynamoDb({
    settings,
    inMemory: false,
    reuseRunning: true,
    command: COMMAND.name,
  });
  if (!dynamodb.started) console.error(`npm run invoke: using the DynamoDB already running at ${dynamodb.endpoint}`);
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.TABLE_NAME = dynamodb.tableName;
  process.env.AUTH_JWT_SECRET = secret;
  try {
    const handler = await loadFunction(fn as FunctionName);
    const result = await handler(event as Parameters<typeof handler>[0], lambdaContext(fn));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await dynamodb.stop();
  }
});
