import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { ROUTES } from '#routing/routes.ts';
import { OPERATION_SCHEMAS } from '#schemas/operations.ts';

const document = openApiDocument();
type Operation = {
  operationId: string;
  'x-action': string | null;
  security?: unknown[];
  parameters: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, unknown>;
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods as Record<string, Operation>).map(([method, operation]) => ({ path, method, operation })),
);

describe('OpenAPI document', () => {
  it('passes an OpenAPI validator (schema and semantics), with and without a server', async () => {
    // The validator dereferences in place: give it copies.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    const served = openApiDocument({ serverUrl: 'https://api.example/v1' });
    expect(served.servers).toEqual([{ url: 'https://api.example/v1' }]);
    await expect(SwaggerParser.validate(structuredClone(served) as never)).resolves.toBeDefined();
    expect(document).not.toHaveProperty('servers');
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = structuredClone(document) as { components: { schemas: Record<string, unknown> } };
    // Every error response refers to the Error schema.
    delete broken.components.schemas.Error;
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow(/Error/);
    const misspelt = structuredClone(document) as { info: Record<string, unknown> };
    delete misspelt.info.version;
    await expect(SwaggerParser.validate(misspelt as never)).rejects.toThrow(/version/);
  });

  it('is OpenAPI 3.1 with the X-Auth-Token security scheme', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.token).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-Auth-Token',
    });
  });

  it('has exactly the routes of the route table, each once, named by its operation', () => {
    const documented = operations.map(
      ({ path, method, operation }) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
    );
    const table = ROUTES.map((route) => `${route.method} ${route.path} ${route.operation}`);
    expect(documented.sort()).toEqual(table.sort());
  });

  it('documents every path parameter of every template, product limited to apigw and apic', () => {
    for (const { path, operation } of operations) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const documented = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      expect(documented.sort(), path).toEqual(names.sort());
      const product = operation.parameters.find((p) => p.name === 'product');
      if (product) expect(product.schema.enum).toEqual(['apigw', 'apic']);
    }
  });

  it('describes request bodies and queries with the schemas the handlers validate with', () => {
    for (const { operation } of operations) {
      const schemas = OPERATION_SCHEMAS[operation.operationId as keyof typeof OPERATION_SCHEMAS];
      const body = 'body' in schemas ? schemas.body : undefined;
      if (body) {
        const { $schema: _, ...expected } = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }) as Record<
          string,
          unknown
        >;
        expect(operation.requestBody?.content['application/json'].schema, operation.operationId).toEqual(expected);
      } else {
        expect(operation.requestBody, operation.operationId).toBeUndefined();
      }
      const query = 'query' in schemas ? Object.keys(schemas.query.shape) : [];
      expect(
        operation.parameters.filter((p) => p.in === 'query').map((p) => p.name),
        operation.operationId,
      ).toEqual(query);
    }
  });

  it('states each route’s action, and needs a token everywhere but /health and /openapi.json', () => {
    for (const { path, operation } of operations) {
      const route = ROUTES.find((r) => r.operation === operation.operationId);
      expect(operation['x-action']).toBe(route?.action);
      expect(operation.security !== undefined).toBe(path === '/health' || path === '/openapi.json');
    }
  });

  it('shows the vendor’s field rules, e.g. create quota', () => {
    const createQuota = operations.find(({ operation }) => operation.operationId === 'createQuota')?.operation;
    expect(createQuota?.requestBody?.content['application/json'].schema).toMatchObject({
      required: ['name', 'call_limits', 'time_unit', 'time_interval'],
      properties: {
        call_limits: { type: 'integer', minimum: 1, maximum: 2147483647 },
        time_unit: { enum: ['SECOND', 'MINUTE', 'HOUR', 'DAY'] },
      },
    });
    expect(Object.keys(createQuota?.responses ?? {})).toContain('201');
  });
});

describe('OpenAPI document: the answers', () => {
  it('gives every route a typed success body (none for a 204) and X-Request-Id on every answer', () => {
    for (const { operation } of operations) {
      const status = String(OPERATION_SCHEMAS[operation.operationId as keyof typeof OPERATION_SCHEMAS].status);
      const success = operation.responses[status] as { content?: unknown; headers: Record<string, unknown> };
      expect(success.content === undefined, operation.operationId).toBe(status === '204');
      for (const [code, response] of Object.entries(operation.responses))
        expect((response as { headers: object }).headers, `${operation.operationId} ${code}`).toHaveProperty(
          'X-Request-Id',
        );
      expect(operation.responses, operation.operationId).toHaveProperty('405');
    }
  });

  it('names both security schemes, a license, and the RateLimit draft', () => {
    expect(Object.keys(document.components.securitySchemes)).toEqual(['token', 'signature']);
    expect(document.components.securitySchemes.signature.description).toContain('X-Sdk-Date');
    expect(document.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(document.info.description).toContain('draft-ietf-httpapi-ratelimit-headers-12');
  });
});
