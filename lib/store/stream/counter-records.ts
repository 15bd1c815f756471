import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { CounterItem } from '#store/items/counter-item.ts';
import { type CounterAddress, counterAddressOf } from '#store/table/keys.ts';

/** One change of a counter as the table's stream records it. */
export interface CounterChange {
  /** The record's sequence number: what a failure names, and who claimed an event. */
  readonly sequence: string;
  readonly address: CounterAddress;
  /** The item before and after the change (absent: created, or removed). */
  readonly before: CounterItem | undefined;
  readonly after: CounterItem | undefined;
}

// The event's attribute values have the SDK's shape, typed apart by aws-lambda's own declarations.
const imageOf = (image: Record<string, unknown> | undefined): CounterItem | undefined =>
  image ? (unmarshall(image as Record<string, AttributeValue>) as CounterItem) : undefined;

/**
 * A stream record of a counter as a change, or `undefined` for a record of anything else (the
 * event source mapping's filter lets only counters through; this is the check behind it).
 */
export const counterChangeOf = (record: DynamoDBRecord): CounterChange | undefined => {
  const stream = record.dynamodb;
  const pk = stream?.Keys?.pk?.S;
  const address = pk === undefined ? undefined : counterAddressOf(pk);
  if (!stream?.SequenceNumber || !address) return undefined;
  return {
    sequence: stream.SequenceNumber,
    address,
    before: imageOf(stream.OldImage),
    after: imageOf(stream.NewImage),
  };
};
