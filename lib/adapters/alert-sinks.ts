import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AlertSink } from '#use-cases/record-counter-changes.ts';

/** PutEvents takes at most 10 entries. */
const PUT_EVENTS_BATCH = 10;

/**
 * Sends threshold events to an EventBridge bus, 10 per PutEvents. Throws when EventBridge did not
 * accept every entry: the records are processed again, and the events whose record is still
 * `pending` are sent again (with the same `event_id`).
 */
export const eventBridgeSink = (busName: string, client = new EventBridgeClient({})): AlertSink => ({
  async send(events) {
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      const batch = events.slice(start, start + PUT_EVENTS_BATCH);
      const output = await client.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({
            EventBusName: busName,
            Source: event.source,
            DetailType: event['detail-type'],
            Time: new Date(event.time),
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      if ((output.FailedEntryCount ?? 0) > 0) {
        const codes = (output.Entries ?? []).flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : []));
        throw new Error(`EventBridge refused ${output.FailedEntryCount} threshold event(s): ${codes.join(', ')}`);
      }
    }
  },
});

/** Where a local sink writes its lines and how it posts. */
export interface LocalSinkOptions {
  readonly webhookUrl?: string | undefined;
  readonly write?: (line: string) => void;
  readonly post?: typeof fetch;
}

/**
 * What `npm start` does with threshold events, standing in for EventBridge and its rules: each
 * event is one JSON line on stdout, and, with `ALERT_WEBHOOK_URL`, the same JSON posted there (the
 * body an API destination posts in AWS). A failed post is reported on stderr and not retried (in
 * AWS the API destination's retries are EventBridge's, apart from the processing).
 */
export const localAlertSink = ({
  webhookUrl,
  write = (line) => process.stdout.write(line),
  post = fetch,
}: LocalSinkOptions = {}): AlertSink => ({
  async send(events) {
    for (const event of events) {
      const body = JSON.stringify(event);
      write(`${body}\n`);
      if (!webhookUrl) continue;
      try {
        const response = await post(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (!response.ok)
          process.stderr.write(`alert webhook answered ${response.status} for ${event.detail.event_id}\n`);
      } catch (error) {
        process.stderr.write(`alert webhook not reached: ${(error as Error).message}\n`);
      }
    }
  },
});
