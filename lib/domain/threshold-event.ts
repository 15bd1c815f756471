/** The `source` of the service's threshold events on EventBridge (ours, not the vendor's). */
export const THRESHOLD_EVENT_SOURCE = 'credential-quota';

/** The `detail-type` of a threshold event. */
export const THRESHOLD_EVENT_DETAIL_TYPE = 'Credential quota threshold reached';

/**
 * The `detail` of a threshold event: a credential's use in one window first reached `threshold`
 * percent of its quota's limit. It names the app, never its key or secret. `event_id` is the same
 * for every emission of one credential, window and threshold, so a receiver can drop the rare
 * duplicate (docs/operations.md, "Threshold events").
 */
export interface ThresholdEventDetail {
  readonly event_id: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly app_id: string;
  readonly app_quota_id: string;
  /** Percent of the limit, 1 to 100. */
  readonly threshold: number;
  /** Units used in the window when the threshold was seen reached (at least `threshold`% of `limit`). */
  readonly used: number;
  readonly limit: number;
  /** The window, RFC 3339 UTC with milliseconds. */
  readonly window_start: string;
  readonly window_end: string;
}

/** The id of the one event of a credential's window and threshold. */
export const thresholdEventId = (
  projectId: string,
  instanceId: string,
  appId: string,
  windowStartMs: number,
  threshold: number,
): string => `${projectId}/${instanceId}/${appId}/${windowStartMs}/${threshold}`;

/** A threshold event as EventBridge delivers it to a rule's targets (and as `npm start` prints and posts it). */
export interface ThresholdEvent {
  readonly source: typeof THRESHOLD_EVENT_SOURCE;
  readonly 'detail-type': typeof THRESHOLD_EVENT_DETAIL_TYPE;
  readonly time: string;
  readonly detail: ThresholdEventDetail;
}
