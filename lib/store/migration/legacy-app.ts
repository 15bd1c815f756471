import type { AppItem } from '#store/items/app-item.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import { counterKey } from '#store/table/keys.ts';

/**
 * An app item as the layout before counters wrote it: the bound quota's settings and the usage
 * were attributes of the app item itself, in the instance's partition.
 */
export interface LegacyAppItem
  extends AppItem,
    Pick<
      CounterItem,
      'limit_units' | 'window_ms' | 'anchor_ms' | 'config_version' | 'window_end_ms' | 'remaining' | 'last_consume'
    > {}

/** Whether an app item is of the layout before counters (this layout always writes `subcounters`). */
export const isLegacyApp = (item: AppItem): boolean => item.type === 'app' && item.subcounters === undefined;

/**
 * Whether a bound app as the binding index (`lsi2`) shows it is of the old layout: that layout
 * kept the settings copy (`config_version`) on the app, this one keeps it on the counters.
 */
export const isLegacyBoundListing = (item: { readonly config_version?: number }): boolean =>
  item.config_version !== undefined;

/** The counter an app of the old layout moves to: its binding's settings and open window's usage. */
export const legacyCounterOf = (item: LegacyAppItem): CounterItem => {
  const bound = item.quota_id !== undefined && item.limit_units !== undefined && item.window_ms !== undefined;
  return {
    ...counterKey(item.project_id, item.instance_id, item.app_key),
    type: 'counter',
    app_id: item.app_id,
    subcounter: 0,
    ...(bound
      ? {
          subcounters: 1,
          quota_id: item.quota_id,
          call_limits: item.limit_units,
          limit_units: item.limit_units,
          window_ms: item.window_ms,
          ...(item.anchor_ms === undefined ? {} : { anchor_ms: item.anchor_ms }),
          config_version: item.config_version ?? 1,
          ...(item.window_end_ms === undefined ? {} : { window_end_ms: item.window_end_ms }),
          ...(item.remaining === undefined ? {} : { remaining: item.remaining }),
          ...(item.last_consume === undefined ? {} : { last_consume: item.last_consume }),
        }
      : {}),
  };
};
