import { eventBridgeSink, localAlertSink } from '#adapters/alert-sinks.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import { retentionDaysFromText, thresholdsFromText } from '#domain/usage-window.ts';
import { createUsageStreamStore } from '#store/stream/usage-stream-store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';
import type { AlertSink, UsageStreamDeps, UsageStreamSettings } from '#use-cases/record-counter-changes.ts';
import { readSharedConfig } from './config.ts';

/** The stream processing's settings and where its events go, as the app-quotas function reads them. */
export interface UsageStreamConfig extends UsageStreamSettings {
  /** `ALERT_BUS_NAME`: the EventBridge bus of the stage (set in AWS); without it events go to stdout. */
  readonly alertBusName: string | undefined;
  /** `ALERT_WEBHOOK_URL`: locally, where each event is also posted. */
  readonly alertWebhookUrl: string | undefined;
}

/**
 * Reads `ALERT_THRESHOLDS` (percentages, `80,100` by default), `HISTORY_RETENTION_DAYS` (90 by
 * default), `ALERT_BUS_NAME` and `ALERT_WEBHOOK_URL`. An invalid threshold or retention throws: the
 * function does not start rather than tell at the wrong moments, or keep history for a typo's time.
 */
export const readUsageStreamConfig = (env: NodeJS.ProcessEnv = process.env): UsageStreamConfig => {
  const thresholds = (() => {
    try {
      return thresholdsFromText(env.ALERT_THRESHOLDS);
    } catch (error) {
      throw new RangeError(`ALERT_THRESHOLDS: ${(error as Error).message}`);
    }
  })();
  const retentionDays = (() => {
    try {
      return retentionDaysFromText(env.HISTORY_RETENTION_DAYS);
    } catch (error) {
      throw new RangeError(`HISTORY_RETENTION_DAYS: ${(error as Error).message}`);
    }
  })();
  return {
    thresholds,
    retentionDays,
    alertBusName: env.ALERT_BUS_NAME || undefined,
    alertWebhookUrl: env.ALERT_WEBHOOK_URL || undefined,
  };
};

/** Where a configuration's events go: the stage's bus in AWS, stdout (and the webhook) elsewhere. */
export const alertSinkOf = (config: UsageStreamConfig): AlertSink =>
  config.alertBusName ? eventBridgeSink(config.alertBusName) : localAlertSink({ webhookUrl: config.alertWebhookUrl });

/** The stream processing's dependencies over a table; the function builds them from its environment. */
export const usageStreamDepsOver = (
  db: Db,
  settings: UsageStreamSettings,
  alerts: AlertSink,
  clock: Clock = systemClock,
): UsageStreamDeps => ({ store: createUsageStreamStore(db), alerts, clock, settings });

/** The app-quotas function's stream dependencies, from its environment. */
export const createUsageStreamDeps = (env: NodeJS.ProcessEnv = process.env): UsageStreamDeps => {
  const shared = readSharedConfig(env);
  const config = readUsageStreamConfig(env);
  const db = {
    client: createDocumentClient({ region: shared.region, endpoint: shared.dynamodbEndpoint }),
    tableName: shared.tableName,
  };
  return usageStreamDepsOver(db, config, alertSinkOf(config));
};
