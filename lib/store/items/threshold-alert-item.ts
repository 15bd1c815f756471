import type { ThresholdEventDetail } from '#domain/threshold-event.ts';
import type { Key } from '#store/table/keys.ts';

/**
 * The record of one threshold event (a credential, a window, a threshold), at `thresholdAlertKey`
 * (keys.ts), written only by the stream processor. It is claimed (`pending`) with a conditional
 * Put before the event is sent and marked `sent` after, so the event is sent once: a processor that
 * finds it `sent` sends nothing, one that finds it `pending` and claimed by one of its own records
 * (a retry of the batch that crashed between the claim and the mark) sends it again, with the same
 * detail. `expires_at` (TTL, epoch seconds) ends it with the window's history item.
 */
export interface ThresholdAlertItem extends Key {
  readonly type: 'threshold-alert';
  readonly state: 'pending' | 'sent';
  /** The stream record (its sequence number) whose processing claimed it. */
  readonly claimed_by: string;
  readonly detail: ThresholdEventDetail;
  readonly expires_at: number;
}
