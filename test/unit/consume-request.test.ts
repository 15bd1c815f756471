import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '#domain/errors.ts';
import { parseConsumeRequest } from '#schemas/consume-request.ts';
import { parseRequest } from '#schemas/operations.ts';

const request = (pathParameters: Record<string, string>, body: unknown) => ({
  pathParameters,
  query: {},
  headers: {},
  body,
  principal: undefined,
});

/** What a parser answers: the parsed request, or the 400's message (which names the field). */
const outcomeOf = (parse: () => unknown): unknown => {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.message}`;
    throw error;
  }
};

const zodOutcome = (path: Record<string, string>, body: unknown) =>
  outcomeOf(() => {
    const parsed = parseRequest('consume', request(path, body));
    return {
      projectId: parsed.path.project_id,
      instanceId: parsed.path.instance_id,
      appKey: parsed.body.app_key,
      cost: parsed.body.cost,
    };
  });

const handOutcome = (path: Record<string, string>, body: unknown) =>
  outcomeOf(() => parseConsumeRequest(request(path, body)));

const INSTANCE = '0123456789abcdef0123456789ABCDEF';

describe("parseConsumeRequest (the data plane's, without zod)", () => {
  it('answers as the route schemas do on the cases that matter', () => {
    const cases: [Record<string, string>, unknown][] = [
      [{ project_id: 'demo', instance_id: INSTANCE }, { app_key: 'abcdefgh' }],
      [
        { project_id: 'demo', instance_id: '01234567-89ab-cdef-0123-456789abcdef' },
        { app_key: 'k', cost: 1000 },
      ],
      [
        { project_id: 'demo', instance_id: INSTANCE },
        { app_key: 'k', cost: 0 },
      ],
      [
        { project_id: 'demo', instance_id: INSTANCE },
        { app_key: 'k', cost: 1.5 },
      ],
      [
        { project_id: 'demo', instance_id: INSTANCE },
        { app_key: 'k', cost: '1' },
      ],
      [
        { project_id: 'demo', instance_id: INSTANCE },
        { app_key: null, cost: 0 },
      ],
      [{ project_id: 'demo', instance_id: INSTANCE }, { cost: 1 }],
      [{ project_id: 'demo', instance_id: INSTANCE }, [1]],
      [{ project_id: 'demo', instance_id: INSTANCE }, null],
      [{ project_id: 'demo', instance_id: INSTANCE }, undefined],
      [{ project_id: 'demo', instance_id: 'nope' }, { app_key: 'k' }],
      [{ project_id: 'no/pe', instance_id: 'nope' }, undefined],
      [{ project_id: 'x'.repeat(65), instance_id: INSTANCE }, { app_key: 'k' }],
    ];
    for (const [path, body] of cases)
      expect(handOutcome(path, body), JSON.stringify([path, body])).toEqual(zodOutcome(path, body));
  });

  it('answers as the route schemas do on arbitrary paths and bodies', () => {
    const id = fc.oneof(fc.constant(INSTANCE), fc.uuid(), fc.string());
    const project = fc.oneof(fc.constant('demo'), fc.string());
    const cost = fc.oneof(fc.integer({ min: -5, max: 1005 }), fc.double(), fc.string(), fc.constant(null));
    const body = fc.oneof(
      fc.record({ app_key: fc.oneof(fc.string(), fc.constant(null), fc.integer()), cost }, { requiredKeys: [] }),
      fc.anything(),
    );
    fc.assert(
      fc.property(project, id, body, (projectId, instanceId, value) => {
        const path = { project_id: projectId, instance_id: instanceId };
        expect(handOutcome(path, value)).toEqual(zodOutcome(path, value));
      }),
      { numRuns: 2000 },
    );
  });
});
