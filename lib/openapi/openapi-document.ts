import * as z from 'zod';
import { CLIENT_TOKEN_HEADER } from '#http/client-token.ts';
import { UNKNOWN_OUTCOME_ADVICE } from '#http/unknown-outcomes.ts';
import { PRODUCTS } from '#routing/route-table.ts';
import { ROUTES } from '#routing/routes.ts';
import { OPERATION_SCHEMAS, type OperationSchemas } from '#schemas/operations.ts';

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ERROR_ENVELOPE: JsonSchema = {
  type: 'object',
  properties: { error_code: { type: 'string', examples: ['APIG.2012'] }, error_msg: { type: 'string' } },
  required: ['error_code', 'error_msg'],
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const parametersOf = (schemas: OperationSchemas, path: string) => {
  const parameters: JsonSchema[] = [];
  if (path.includes('{product}')) {
    parameters.push({ name: 'product', in: 'path', required: true, schema: { type: 'string', enum: [...PRODUCTS] } });
  }
  for (const [name, schema] of Object.entries(schemas.path?.shape ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema as z.ZodType) });
  }
  for (const [name, schema] of Object.entries(schemas.query?.shape ?? {})) {
    parameters.push({ name, in: 'query', required: false, schema: jsonSchema(schema as z.ZodType) });
  }
  return parameters;
};

/** What varies between copies of the document. */
export interface OpenApiOptions {
  /** The API's base URL (absolute, or relative to where the document is served). @default - no `servers` */
  readonly serverUrl?: string;
}

// A create that may have landed unseen is answered again, not done twice, under this header.
const CLIENT_TOKEN_PARAMETER = {
  name: CLIENT_TOKEN_HEADER,
  in: 'header',
  required: false,
  description:
    'Names the request: repeated with the same header (within 24 h), it gets the first answer, app_secret included, and creates nothing more',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
};

// What a 503 of each route means: the creates have answers of their own; every other route that
// writes answers CQ.5032 with the advice the error mapper gives when a write may have landed.
const UNAVAILABLE: Partial<Record<string, string>> = {
  createApp:
    'DynamoDB failed past retries or the deadline: the outcome is unknown, repeat with the X-Client-Token of the answer (CQ.5031)',
  createInstance:
    'DynamoDB busy past retries, nothing written (CQ.5030), or the outcome is unknown: list by name (CQ.5032)',
  createQuota:
    'DynamoDB busy past retries, nothing written (CQ.5030), or the outcome is unknown: list by name (CQ.5032)',
  ...Object.fromEntries(
    Object.entries(UNKNOWN_OUTCOME_ADVICE).map(([operation, advice]) => [
      operation,
      `DynamoDB busy past retries, nothing written (CQ.5030), or the outcome is unknown: ${advice} (CQ.5032)`,
    ]),
  ),
};

/**
 * The OpenAPI 3.1 document of the whole API, generated from the route table and the very schemas
 * the handlers validate requests with (`OPERATION_SCHEMAS`). Extensions: `x-action` (the action
 * a token must grant) and `x-function` (the Lambda function that serves the route).
 */
export const openApiDocument = (options: OpenApiOptions = {}) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const schemas: OperationSchemas = OPERATION_SCHEMAS[route.operation];
    const operation = {
      operationId: route.operation,
      summary: schemas.summary,
      'x-action': route.action,
      'x-function': route.fn,
      ...(route.action === null ? { security: [] } : {}),
      parameters: [
        ...parametersOf(schemas, route.path),
        ...(route.operation === 'createApp' ? [CLIENT_TOKEN_PARAMETER] : []),
      ],
      ...(schemas.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(schemas.body) } },
            },
          }
        : {}),
      responses: {
        [String(schemas.status)]: { description: schemas.status === 204 ? 'No content' : 'Success' },
        ...(route.action === null
          ? {}
          : {
              '400': errorResponse('Invalid parameter (APIG.2012) or a rule of the resource'),
              '401': errorResponse('Incorrect token (APIG.1002)'),
              '403': errorResponse('No permission (APIG.1005) or a resource limit (APIG.3100)'),
              '404': errorResponse('The instance, app or quota does not exist'),
              ...(route.operation === 'consume' ? { '429': errorResponse('Quota exhausted (APIG.0308)') } : {}),
              ...(route.operation === 'createApp'
                ? { '422': errorResponse('X-Client-Token already used for another request (CQ.4220)') }
                : {}),
              '500': errorResponse('System error (APIG.9999)'),
              '503': errorResponse(
                UNAVAILABLE[route.operation] ?? 'DynamoDB busy past retries or the deadline (CQ.5030)',
              ),
            }),
      },
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'credential-quota',
      version: '1.0.0',
      description:
        'Credential quotas for API gateways, compatible with the Huawei Cloud APIG / ROMA Connect credential-quota API.',
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    security: [{ token: [] }],
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A JWT: project_id, actions, exp' },
      },
      schemas: { Error: ERROR_ENVELOPE },
    },
    paths,
  };
};
