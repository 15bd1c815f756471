import * as z from 'zod';
import { CLIENT_TOKEN_HEADER } from '#http/client-token.ts';
import { PRODUCTS } from '#routing/route-table.ts';
import { type Operation, ROUTES, type Route } from '#routing/routes.ts';
import { OPERATION_SCHEMAS, type OperationSchemas } from '#schemas/operations.ts';
import { errorResponses } from './error-responses.ts';
import { HEADER_COMPONENTS, headerEntry, headersOf, RATELIMIT_DRAFT, rateLimitHeaders } from './response-headers.ts';
import { type JsonSchema, responseComponents, successBodySchema } from './response-schemas.ts';
import { SECURITY, SECURITY_SCHEMES } from './security-schemes.ts';

const jsonSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

// A query value arrives as text; one the handler reads as a decimal integer is one to a client.
const queryValue = (schema: JsonSchema): JsonSchema =>
  schema.type === 'string' && schema.pattern === INTEGER_TEXT ? { type: 'integer' } : schema;
const INTEGER_TEXT = '^-?\\d+$';

const parametersOf = (schemas: OperationSchemas, path: string) => {
  const parameters: JsonSchema[] = [];
  if (path.includes('{product}')) {
    parameters.push({ name: 'product', in: 'path', required: true, schema: { type: 'string', enum: [...PRODUCTS] } });
  }
  for (const [name, schema] of Object.entries(schemas.path?.shape ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(schema as z.ZodType) });
  }
  for (const [name, schema] of Object.entries(schemas.query?.shape ?? {})) {
    parameters.push({ name, in: 'query', required: false, schema: queryValue(jsonSchema(schema as z.ZodType)) });
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

// The groups a generator makes one client class of, and what each holds.
const TAGS = [
  { name: 'Instances', description: 'Instances: the containers of apps and quotas, per project' },
  { name: 'Apps', description: 'Apps (credentials): a key and secret, and the quota they are bound to' },
  { name: 'AppQuotas', description: 'Credential quotas and the apps bound to them' },
  { name: 'Consumption', description: 'The data plane: count a call against its credential quota' },
  { name: 'Service', description: 'Health and this document' },
] as const;

const tagOf = (route: Route): (typeof TAGS)[number]['name'] => {
  if (route.action === null) return 'Service';
  if (route.operation === 'consume') return 'Consumption';
  if (route.action.startsWith('apig:instance:')) return 'Instances';
  return route.action.startsWith('apig:app:') ? 'Apps' : 'AppQuotas';
};

// The headers of a success: the creates' client token, consume's RateLimit fields when a quota applies.
const successHeaders = (operation: Operation) => {
  if (operation === 'createApp') return headersOf(headerEntry(CLIENT_TOKEN_HEADER));
  if (operation === 'consume') return headersOf(...rateLimitHeaders(false));
  return headersOf();
};

const successResponse = (operation: Operation, status: number) => {
  const schema = successBodySchema(operation);
  return {
    description: status === 204 ? 'No content' : OPERATION_SCHEMAS[operation].summary,
    headers: successHeaders(operation),
    ...(schema ? { content: { 'application/json': { schema } } } : {}),
  };
};

/**
 * The OpenAPI 3.1 document of the whole API, generated from the route table, the very schemas
 * the handlers validate requests with (`OPERATION_SCHEMAS`) and those their answers are typed by
 * (`RESPONSE_BODIES`). Extensions: `x-action` (the action a token must grant) and `x-function`
 * (the Lambda function that serves the route).
 */
export const openApiDocument = (options: OpenApiOptions = {}) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const schemas: OperationSchemas = OPERATION_SCHEMAS[route.operation];
    const operation = {
      operationId: route.operation,
      summary: schemas.summary,
      tags: [tagOf(route)],
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
        [String(schemas.status)]: successResponse(route.operation, schemas.status),
        ...errorResponses(route),
      },
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'credential-quota',
      version: '1.0.0',
      description: `Credential quotas for API gateways, compatible with the Huawei Cloud APIG / ROMA Connect credential-quota API. Consume's \`RateLimit\` and \`RateLimit-Policy\` fields follow ${RATELIMIT_DRAFT}.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    tags: TAGS,
    security: SECURITY,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADER_COMPONENTS,
      schemas: responseComponents(),
    },
    paths,
  };
};
