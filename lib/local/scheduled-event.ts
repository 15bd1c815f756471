import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { SCHEDULED_EVENT_TYPE } from '#adapters/quota-sweep-handler.ts';

/** The event an EventBridge schedule sends its target, as the local runs and the tests send it. */
export const scheduledEvent = (time: Date = new Date()): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': SCHEDULED_EVENT_TYPE,
  source: 'aws.events',
  account: '000000000000',
  time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: 'local',
  resources: ['arn:aws:events:local:000000000000:rule/quota-delete-sweep'],
  detail: {},
});
