import type { z } from 'zod';
import type { ApiRequest } from '#http/api-types.ts';
import { parseWith } from '#http/validation.ts';
import type { Operation } from '#routing/routes.ts';
import { consumeBody } from './consume-body.ts';
import {
  appListQuery,
  appNameListQuery,
  historyQuery,
  instanceListQuery,
  nameListQuery,
  pageQuery,
} from './list-query.ts';
import { appPath, instancePath, projectPath, quotaAppPath, quotaPath } from './path.ts';
import { bindAppsBody, quotaBody } from './quota-bodies.ts';
import { createAppBody, createInstanceBody, resetAppSecretBody, updateAppBody } from './registry-bodies.ts';

/** What one operation accepts and answers: the schemas the handler validates with, and its success status. */
export interface OperationSchemas {
  readonly summary: string;
  readonly status: 200 | 201 | 204;
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
}

/**
 * Every operation's request schemas. The handlers parse requests with these (through
 * {@link parseRequest}) and the OpenAPI document is generated from them, so the two cannot drift.
 */
export const OPERATION_SCHEMAS = {
  createInstance: { summary: 'Create an instance', status: 201, path: projectPath, body: createInstanceBody },
  showInstance: { summary: 'Show an instance', status: 200, path: instancePath },
  listInstances: { summary: 'List instances by name or id', status: 200, path: projectPath, query: instanceListQuery },
  createApp: { summary: 'Create an app (credential)', status: 201, path: instancePath, body: createAppBody },
  showApp: { summary: 'Show an app', status: 200, path: appPath },
  listApps: {
    summary: 'List apps by name, id, app_key and status',
    status: 200,
    path: instancePath,
    query: appListQuery,
  },
  deleteApp: { summary: 'Delete an app and its binding', status: 204, path: appPath },
  createQuota: { summary: 'Create a credential quota', status: 201, path: instancePath, body: quotaBody },
  bindApps: { summary: 'Bind apps to a quota, all or nothing', status: 201, path: quotaPath, body: bindAppsBody },
  listBoundApps: {
    summary: 'List the apps bound to a quota, newest binding first',
    status: 200,
    path: quotaPath,
    query: appNameListQuery,
  },
  showQuota: { summary: 'Show a quota', status: 200, path: quotaPath },
  listQuotas: { summary: 'List quotas, newest first', status: 200, path: instancePath, query: nameListQuery },
  updateQuota: { summary: 'Update a quota (full body)', status: 200, path: quotaPath, body: quotaBody },
  deleteQuota: { summary: 'Delete a quota and its bindings', status: 204, path: quotaPath },
  unbindApp: { summary: 'Unbind an app from a quota', status: 204, path: quotaAppPath },
  listBindableApps: {
    summary: 'List the apps bound to no quota, by name',
    status: 200,
    path: quotaPath,
    query: appNameListQuery,
  },
  showAppQuota: { summary: "Show an app's bound quota", status: 200, path: appPath },
  consume: {
    summary: 'Consume from a credential quota (data plane)',
    status: 200,
    path: instancePath,
    body: consumeBody,
  },
  showUsage: { summary: "Show an app's usage of its quota", status: 200, path: appPath },
  listUsageHistory: {
    summary: "List an app's closed quota windows, newest first (this service's own route)",
    status: 200,
    path: appPath,
    query: historyQuery,
  },
  listQuotaUsage: {
    summary: "List a quota's bound apps by their open window's use, highest first (this service's own route)",
    status: 200,
    path: quotaPath,
    query: pageQuery,
  },
  updateApp: { summary: "Update an app's name and remark", status: 200, path: appPath, body: updateAppBody },
  resetAppSecret: {
    summary: "Reset an app's secret (the new one is shown once)",
    status: 200,
    path: appPath,
    body: resetAppSecretBody,
  },
  deleteInstance: { summary: 'Delete an instance that holds no apps or quotas', status: 204, path: instancePath },
  health: { summary: 'Health check', status: 200 },
  openapi: { summary: 'This OpenAPI document', status: 200 },
} as const satisfies Record<Operation, OperationSchemas>;

type Schemas = typeof OPERATION_SCHEMAS;
type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A request parsed with its operation's schemas. */
export interface ParsedRequest<O extends Operation> {
  readonly path: Output<Schemas[O] extends { path: infer P } ? P : undefined>;
  readonly query: Output<Schemas[O] extends { query: infer Q } ? Q : undefined>;
  readonly body: Output<Schemas[O] extends { body: infer B } ? B : undefined>;
}

/**
 * Validates a request with its operation's schemas, path first, then query, then body, and
 * throws 400 `APIG.2012` naming the first field that fails.
 */
export const parseRequest = <O extends Operation>(operation: O, request: ApiRequest): ParsedRequest<O> => {
  const schemas: OperationSchemas = OPERATION_SCHEMAS[operation];
  return {
    path: schemas.path ? parseWith(schemas.path, request.pathParameters, 'path') : undefined,
    query: schemas.query ? parseWith(schemas.query, request.query, 'query') : undefined,
    body: schemas.body ? parseWith(schemas.body, request.body, 'body') : undefined,
  } as ParsedRequest<O>;
};
