/**
 * The scripts' arguments read as the API reads the same values, so a script never makes what no
 * request can use: a project id as the routes take it in their path, actions as the permission
 * checker matches them against the route table. Anything else is a {@link UsageError}, told
 * before any AWS or DynamoDB call.
 */
import { isActionGranted } from '#auth/permissions.ts';
import { parseStage } from '#infra/stage.ts';
import { ROUTES } from '#routing/routes.ts';
import { projectPath } from '#schemas/path.ts';
import { UsageError } from './cli.ts';

/**
 * `--project ID` as the routes' `{project_id}` takes it. An id they refuse (`demo#INSTANCE#x`,
 * `../x`) would name a project no request can reach, and its listing entry would land in another
 * item's partition, since the id is part of storage keys.
 */
export const projectIdArg = (value: string | undefined, option = '--project'): string => {
  if (value === undefined) throw new UsageError(`${option} is required`);
  if (!projectPath.shape.project_id.safeParse(value).success) {
    throw new UsageError(
      `${option} ${JSON.stringify(value)} is not a project id the API takes: 1 to 64 of A-Z a-z 0-9 _ -`,
    );
  }
  return value;
};

/** Every action a route requires, the ones a granted pattern can match. */
const ROUTE_ACTIONS: readonly string[] = [
  ...new Set(ROUTES.flatMap((route) => (route.action === null ? [] : [route.action]))),
];

/**
 * `--actions a,b` as the permission checker reads them: comma-separated patterns where `*` matches
 * any run of characters. An empty entry (`--actions ,`) or a pattern that matches no route's action
 * (a typo such as `apig:app:gets`) grants nothing, so it is refused rather than signed or stored.
 */
export const actionsArg = (value: string, option = '--actions'): string[] => {
  const actions = value.split(',').map((action) => action.trim());
  if (actions.some((action) => action === '')) {
    throw new UsageError(`${option} ${JSON.stringify(value)} has an empty action: give a,b with none empty`);
  }
  const granting = (action: string) => ROUTE_ACTIONS.some((required) => isActionGranted([action], required));
  const idle = actions.find((action) => !granting(action));
  if (idle !== undefined) {
    throw new UsageError(
      `${option}: ${JSON.stringify(idle)} matches no action of the API (such as apig:* or apig:app:get; docs/api.md lists them)`,
    );
  }
  return actions;
};

/** `--stage NAME` as the stacks are named (`CredentialQuota-<stage>-...`). */
export const stageArg = (value: string, option = '--stage'): string => {
  try {
    return parseStage(value);
  } catch (error) {
    throw new UsageError(`${option}: ${(error as Error).message}`);
  }
};
