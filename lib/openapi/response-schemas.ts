import * as z from 'zod';
import type { Operation } from '#routing/routes.ts';
import {
  appSchema,
  appUsageSchema,
  appWithSecretSchema,
  bindableAppSchema,
  bindingSchema,
  boundAppSchema,
  consumptionSchema,
  errorSchema,
  instanceSchema,
  listedAppSchema,
  quotaSchema,
  RESPONSE_BODIES,
  usageSchema,
  usageWindowSchema,
} from '#schemas/responses.ts';

/** A JSON Schema (or any other JSON object of the document). */
export type JsonSchema = Record<string, unknown>;

// The names the document gives the shapes: a generator makes its types of them (`Instance`, `AppList`...).
const SHARED: Readonly<Record<string, z.ZodType>> = {
  Instance: instanceSchema,
  App: appSchema,
  AppWithSecret: appWithSecretSchema,
  ListedApp: listedAppSchema,
  Quota: quotaSchema,
  Binding: bindingSchema,
  BindableApp: bindableAppSchema,
  BoundApp: boundAppSchema,
  Usage: usageSchema,
  AppUsage: appUsageSchema,
  UsageWindow: usageWindowSchema,
  Consumption: consumptionSchema,
  Error: errorSchema,
};

// The bodies that are one route's own (the lists, bind's answer...), named after what they hold.
const OWN: Partial<Record<Operation, string>> = {
  listInstances: 'InstanceList',
  listApps: 'AppList',
  bindApps: 'BindResult',
  listBoundApps: 'BoundAppList',
  listQuotas: 'QuotaList',
  listBindableApps: 'BindableAppList',
  listUsageHistory: 'UsageHistory',
  listQuotaUsage: 'AppUsageList',
  health: 'Health',
  openapi: 'OpenApiDocument',
};

const idOf = new Map<z.ZodType, string>();
for (const [id, schema] of Object.entries(SHARED)) idOf.set(schema, id);
for (const [operation, id] of Object.entries(OWN)) {
  const schema = RESPONSE_BODIES[operation as Operation];
  if (schema && !idOf.has(schema)) idOf.set(schema, id);
}

const ref = (id: string): JsonSchema => ({ $ref: `#/components/schemas/${id}` });

/**
 * `components.schemas` of the document: every response body of `RESPONSE_BODIES` converted with
 * zod's JSON Schema conversion, each shape once, referring to the others by name.
 */
export const responseComponents = (): Record<string, JsonSchema> => {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of idOf) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => ref(id).$ref as string });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema as JsonSchema]),
  );
};

/** The schema of an operation's success body (a reference to its component), or none for a 204. */
export const successBodySchema = (operation: Operation): JsonSchema | undefined => {
  const schema = RESPONSE_BODIES[operation];
  if (!schema) return undefined;
  const id = idOf.get(schema);
  if (id === undefined) throw new Error(`the response body of ${operation} has no name in the document`);
  return ref(id);
};
