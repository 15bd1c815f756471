import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isScheduledEvent } from '#adapters/quota-sweep-handler.ts';
import type { ApiEvent } from '#http/api-types.ts';
import { routeKey } from '#routing/route-table.ts';
import { matchRoute } from '#routing/routes.ts';

const ID = 'c900c5612dbe451bb43cbcc49cfaf2f3';
const all = readdirSync('events').filter((name) => name.endsWith('.json'));
const read = (name: string): unknown => JSON.parse(readFileSync(`events/${name}`, 'utf8'));
// The schedule's event (the sweep of quota deletes) is not an API Gateway event: checked apart.
const scheduled = all.filter((name) => isScheduledEvent(read(name)));
const files = all.filter((name) => !scheduled.includes(name));
const load = (name: string): ApiEvent =>
  JSON.parse(readFileSync(`events/${name}`, 'utf8').replace(/\{\{(\w+)\}\}/g, ID)) as ApiEvent;

describe('sample events', () => {
  it('include one for every seed operation', () => {
    const operations = files.map((name) => {
      const event = load(name);
      const match = matchRoute(event.requestContext.http.method, event.rawPath);
      return match.kind === 'found' ? match.route.operation : undefined;
    });
    expect(operations).toEqual(expect.arrayContaining(['createQuota', 'bindApps', 'listBoundApps']));
  });

  it('include the schedule event of the sweep, and no other kind of event', () => {
    expect(scheduled).toEqual(['sweep.json']);
  });

  it.each(files)('%s is an HTTP API 2.0 event whose route key is the route its path matches', (name) => {
    const event = load(name);
    expect(event.version).toBe('2.0');
    const match = matchRoute(event.requestContext.http.method, event.rawPath);
    expect(match.kind).toBe('found');
    if (match.kind !== 'found') return;
    expect(event.routeKey).toBe(routeKey(match.route));
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(event.pathParameters ?? {}).toEqual(match.pathParameters);
  });
});
