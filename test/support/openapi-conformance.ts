import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Route } from '#routing/routes.ts';
import type { TestResponse } from './api-client.ts';

type Json = Record<string, unknown>;

// Set by the platform or the HTTP layer, not by the API: no OpenAPI document describes them.
const TRANSPORT_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * Holds answers against an OpenAPI document with a JSON-Schema validator (Ajv, draft 2020-12, the
 * dialect of OpenAPI 3.1): each problem is a status, header or body field the document does not
 * describe, or describes otherwise.
 */
export const conformanceChecker = (document: Json) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const components = document.components as Json;
  const compiled = new Map<string, ValidateFunction>();
  // Each schema is compiled beside the document's components, so its `#/components/...` refs resolve.
  const validator = (key: string, schema: Json): ValidateFunction => {
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile({ ...schema, components });
      compiled.set(key, validate);
    }
    return validate;
  };
  const deref = (value: Json): Json => {
    const ref = value.$ref;
    if (typeof ref !== 'string') return value;
    const [, kind, name] = ref.split('/').slice(1);
    return ((components[kind as string] as Json)[name as string] ?? {}) as Json;
  };

  return (route: Route, response: TestResponse): string[] => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const operation = paths[route.path]?.[route.method.toLowerCase()];
    if (!operation) return [`${route.method} ${route.path} is not in the document`];
    const where = `${route.operation} ${response.status}`;
    const described = (operation.responses as Record<string, Json>)[String(response.status)];
    if (!described) return [`${where}: status not described`];
    const problems: string[] = [];
    const headers = Object.fromEntries(
      Object.entries((described.headers ?? {}) as Record<string, Json>).map(([name, h]) => [
        name.toLowerCase(),
        deref(h),
      ]),
    );
    for (const [name, value] of Object.entries(response.headers)) {
      if (TRANSPORT_HEADERS.has(name)) continue;
      const header = headers[name];
      if (!header) {
        problems.push(`${where}: header ${name} not described`);
        continue;
      }
      const validate = validator(`${where} header ${name}`, header.schema as Json);
      if (!validate(value)) problems.push(`${where}: header ${name}=${value}: ${ajv.errorsText(validate.errors)}`);
    }
    for (const [name, header] of Object.entries(headers))
      if (header.required === true && response.headers[name] === undefined)
        problems.push(`${where}: required header ${name} missing`);
    const content = (described.content as Record<string, Json> | undefined)?.['application/json'];
    if (response.body === undefined) {
      if (content) problems.push(`${where}: no body, the document describes one`);
      return problems;
    }
    if (!content) return [...problems, `${where}: a body the document does not describe`];
    if (response.headers['content-type'] !== 'application/json')
      problems.push(`${where}: content-type ${response.headers['content-type']}`);
    const validate = validator(`${where} body`, content.schema as Json);
    if (!validate(response.body)) problems.push(`${where}: body: ${ajv.errorsText(validate.errors)}`);
    return problems;
  };
};
