import type { DynamoDBRecord } from 'aws-lambda';
import {
  THRESHOLD_EVENT_DETAIL_TYPE,
  THRESHOLD_EVENT_SOURCE,
  type ThresholdEvent,
  type ThresholdEventDetail,
  thresholdEventId,
} from '#domain/threshold-event.ts';
import type { Clock } from '#domain/time.ts';
import { formatTime } from '#domain/time.ts';
import {
  type CounterUse,
  closedWindow,
  credentialUse,
  historyExpiry,
  mayReachThresholds,
  reachedThresholds,
  sameWindow,
  windowOver,
} from '#domain/usage-window.ts';
import { logger } from '#observability/logger.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import { counterUseOf } from '#store/items/counter-use.ts';
import { type CounterChange, counterChangeOf } from '#store/stream/counter-records.ts';
import type { UsageStreamStore, WindowOwner } from '#store/stream/usage-stream-store.ts';
import { type CounterAddress, counterKey } from '#store/table/keys.ts';

export type { CounterChange } from '#store/stream/counter-records.ts';

/** Where threshold events go: EventBridge in AWS, stdout and a webhook locally, a recorder in tests. */
export interface AlertSink {
  /** Sends the events, all or none (throws when any was not accepted: the batch is then retried). */
  send(events: readonly ThresholdEvent[]): Promise<void>;
}

/** The stage's settings of the stream processing. */
export interface UsageStreamSettings {
  /** Percentages of the limit, ascending: those of every quota without its own `alert_thresholds`. */
  readonly thresholds: readonly number[];
  readonly retentionDays: number;
}

/** What the stream processing works with. */
export interface UsageStreamDeps {
  readonly store: UsageStreamStore;
  readonly alerts: AlertSink;
  readonly clock: Clock;
  readonly settings: UsageStreamSettings;
}

/** What processing a batch came to: the first record to process again, when any failed. */
export interface UsageStreamReport {
  readonly windowsClosed: number;
  readonly eventsSent: number;
  /** The sequence number of the earliest record whose processing failed: it and every later one are retried. */
  readonly failedSequence?: string;
}

const ownerOf = (change: CounterChange, item: CounterItem): WindowOwner => ({
  projectId: change.address.projectId,
  instanceId: change.address.instanceId,
  appId: item.app_id,
});

/** Every sub-counter key of a credential but those in `except`. */
const siblingKeys = (address: CounterAddress, count: number, except: ReadonlySet<number>) =>
  Array.from({ length: count }, (_, index) => index)
    .filter((index) => !except.has(index))
    .map((index) => counterKey(address.projectId, address.instanceId, address.appKey, index));

/** The thresholds that apply to a quota's credentials, as one batch's processing learns them. */
type ThresholdsOf = (owner: WindowOwner, quotaId: string) => Promise<readonly number[]>;

/**
 * The thresholds of each quota for one batch: the quota's own (`alert_thresholds`), else the
 * stage's, read once per quota per batch, when a check first needs them. Per batch, not kept
 * longer: a quota update's thresholds apply from the next batch on.
 */
const batchThresholds = (deps: UsageStreamDeps): ThresholdsOf => {
  const known = new Map<string, Promise<readonly number[]>>();
  return (owner, quotaId) => {
    const name = `${owner.projectId}/${owner.instanceId}/${quotaId}`;
    let thresholds = known.get(name);
    if (!thresholds) {
      thresholds = deps.store
        .readQuotaThresholds(owner.projectId, owner.instanceId, quotaId)
        .then((own) => own ?? deps.settings.thresholds);
      known.set(name, thresholds);
    }
    return thresholds;
  };
};

/** A credential's window as the threshold checks see it: whose, which, how much of which limit. */
interface WindowUse {
  readonly owner: WindowOwner;
  readonly use: CounterUse;
  readonly used: number;
  readonly limit: number;
  /** The records this check stands for: a pending event claimed by one of them is sent again. */
  readonly sequences: readonly string[];
}

/**
 * Sends the events of the thresholds a credential's window has reached and not yet had, once
 * each: claimed first (a conditional Put), sent, then marked sent. An event found claimed and not
 * sent is sent again only when one of this check's own records claimed it (a retry of a batch that
 * stopped between the claim and the mark); one claimed by another record is being sent by that
 * record's processing (another shard's, concurrently) or will be on its retry.
 */
const sendReached = async (deps: UsageStreamDeps, thresholdsOf: ThresholdsOf, window: WindowUse): Promise<number> => {
  // Below the lowest threshold any quota may have, no read of the quota's is needed.
  if (!mayReachThresholds(window.used, window.limit)) return 0;
  const { owner, use } = window;
  const reached = reachedThresholds(window.used, window.limit, await thresholdsOf(owner, use.quotaId));
  if (reached.length === 0) return 0;
  const records = new Map(
    (await deps.store.readAlerts(owner, use.window.start)).map((item) => [item.detail.threshold, item]),
  );
  const expiresAt = historyExpiry(use.window.end, deps.settings.retentionDays);
  const toSend: ThresholdEventDetail[] = [];
  for (const threshold of reached) {
    const record = records.get(threshold);
    if (record) {
      if (record.state === 'pending' && window.sequences.includes(record.claimed_by)) toSend.push(record.detail);
      continue;
    }
    const detail: ThresholdEventDetail = {
      event_id: thresholdEventId(owner.projectId, owner.instanceId, owner.appId, use.window.start, threshold),
      project_id: owner.projectId,
      instance_id: owner.instanceId,
      app_id: owner.appId,
      app_quota_id: use.quotaId,
      threshold,
      used: window.used,
      limit: window.limit,
      window_start: formatTime(new Date(use.window.start)),
      window_end: formatTime(new Date(use.window.end)),
    };
    const claimedBy = window.sequences.at(-1) as string;
    if (await deps.store.claimAlert(detail, use.window.start, claimedBy, expiresAt)) toSend.push(detail);
  }
  if (toSend.length === 0) return 0;
  const time = formatTime(deps.clock.now());
  await deps.alerts.send(
    toSend.map((detail) => ({
      source: THRESHOLD_EVENT_SOURCE,
      'detail-type': THRESHOLD_EVENT_DETAIL_TYPE,
      time,
      detail,
    })),
  );
  for (const detail of toSend) await deps.store.markAlertSent(detail, use.window.start);
  return toSend.length;
};

/**
 * A counter left a window: its use of it goes into the credential's history item of that window
 * (once per sub-counter, however often the record comes). When the window is over, the
 * sub-counters not yet counted that are still in it hold their final use, and no record of theirs
 * may ever come (a sub-counter no call reaches again): they are read and added too, so the first
 * close of a window completes its item. Before the window's end (a quota change or an unbind
 * closed it early) each sub-counter adds only its own, from its own record. The item's total is
 * then checked against the thresholds: a use that reached one without its event being sent in the
 * window (a sibling's last units seen only now) is told now.
 */
const closeWindow = async (
  deps: UsageStreamDeps,
  thresholdsOf: ThresholdsOf,
  change: CounterChange,
  before: CounterItem,
  closed: CounterUse,
) => {
  const owner = ownerOf(change, before);
  const expiresAt = historyExpiry(closed.window.end, deps.settings.retentionDays);
  let item = closed.used > 0 ? await deps.store.addWindowUse(owner, closed, expiresAt) : undefined;
  if (closed.subcounters > 1 && windowOver(closed, deps.clock.now().getTime())) {
    const counted = new Set([closed.subcounter, ...(item?.counted ?? [])]);
    const siblings = await deps.store.readCounters(siblingKeys(change.address, closed.subcounters, counted));
    for (const sibling of siblings) {
      const use = counterUseOf(sibling);
      if (use && use.used > 0 && sameWindow(use, closed) && sibling.app_id === owner.appId)
        item = await deps.store.addWindowUse(owner, use, expiresAt);
    }
  }
  if (!item) return 0;
  return sendReached(deps, thresholdsOf, {
    owner,
    use: closed,
    used: item.used,
    limit: item.limit,
    sequences: [change.sequence],
  });
};

/** The changes of one credential's window within a batch, for one threshold check. */
interface WindowGroup {
  readonly change: CounterChange;
  readonly after: CounterItem;
  readonly use: CounterUse;
  readonly seen: CounterUse[];
  readonly sequences: string[];
  readonly first: number;
}

/**
 * Groups the batch's changes that leave a counter in a window with units used, by credential and
 * window: one threshold check each, over the latest of what the batch and a read of its
 * sub-counters show, instead of one per record.
 */
const windowGroups = (changes: readonly CounterChange[], upTo: number): WindowGroup[] => {
  const groups = new Map<string, WindowGroup>();
  changes.slice(0, upTo).forEach((change, position) => {
    const use = counterUseOf(change.after);
    if (!use || use.used <= 0 || !change.after) return;
    const { projectId, instanceId, appKey } = change.address;
    const name = `${projectId}/${instanceId}/${appKey}/${use.quotaId}/${use.window.start}/${use.window.end}`;
    const group = groups.get(name);
    if (group) {
      group.seen.push(use);
      group.sequences.push(change.sequence);
    } else {
      groups.set(name, {
        change,
        after: change.after,
        use,
        seen: [use],
        sequences: [change.sequence],
        first: position,
      });
    }
  });
  return [...groups.values()];
};

/** The threshold check of one credential's window: the batch's images, and a read of its other sub-counters. */
const checkThresholds = async (
  deps: UsageStreamDeps,
  thresholdsOf: ThresholdsOf,
  group: WindowGroup,
): Promise<number> => {
  const { use } = group;
  const seen: (CounterUse | undefined)[] = [...group.seen];
  if (use.subcounters > 1) {
    const current = await deps.store.readCounters(siblingKeys(group.change.address, use.subcounters, new Set()));
    seen.push(...current.map(counterUseOf));
  }
  return sendReached(deps, thresholdsOf, {
    owner: ownerOf(group.change, group.after),
    use,
    used: credentialUse(use, seen),
    limit: use.limit,
    sequences: group.sequences,
  });
};

/**
 * Processes one batch of counter changes from the table's stream, in order: each window a change
 * closed goes into the usage history, then each credential's window the batch touched is checked
 * against the thresholds. Everything it writes is conditional and keyed by what it records, so a
 * batch processed twice (a retry, a replay) writes and sends nothing new. Processing stops at the
 * first change that fails; the report names the earliest failed record, from which the batch is
 * processed again.
 */
export const recordCounterChanges = async (
  deps: UsageStreamDeps,
  changes: readonly CounterChange[],
): Promise<UsageStreamReport> => {
  let windowsClosed = 0;
  let eventsSent = 0;
  let failedAt = changes.length;
  const thresholdsOf = batchThresholds(deps);
  for (const [position, change] of changes.entries()) {
    const closed = closedWindow(counterUseOf(change.before), counterUseOf(change.after));
    if (!closed || !change.before) continue;
    try {
      eventsSent += await closeWindow(deps, thresholdsOf, change, change.before, closed);
      windowsClosed += 1;
    } catch (error) {
      logger.error('counter change not recorded', { sequence: change.sequence, error });
      failedAt = position;
      break;
    }
  }
  for (const group of windowGroups(changes, failedAt)) {
    try {
      eventsSent += await checkThresholds(deps, thresholdsOf, group);
    } catch (error) {
      logger.error('threshold check failed', { sequence: group.change.sequence, error });
      failedAt = Math.min(failedAt, group.first);
    }
  }
  const failed = changes[failedAt];
  return { windowsClosed, eventsSent, ...(failed ? { failedSequence: failed.sequence } : {}) };
};

/**
 * Processes one batch of the table's stream records as Lambda's event source mapping delivers
 * them: counter records (any other is skipped, as the mapping's filter would have), in order.
 */
export const recordStreamRecords = (
  deps: UsageStreamDeps,
  records: readonly DynamoDBRecord[],
): Promise<UsageStreamReport> =>
  recordCounterChanges(
    deps,
    records.flatMap((record) => counterChangeOf(record) ?? []),
  );
