import type { CounterUse } from '#domain/usage-window.ts';
import type { CounterItem } from './counter-item.ts';

/**
 * What a counter item holds of its window, or `undefined` when it is in none (unbound, no window
 * opened since its binding or its quota's last fresh window). The window starts `window_ms`
 * before its end, as consume computed it (`windowAt`); the use is the sub-counter's share less
 * what it has left.
 */
export const counterUseOf = (item: CounterItem | undefined): CounterUse | undefined => {
  if (
    item?.quota_id === undefined ||
    item.window_end_ms === undefined ||
    item.window_ms === undefined ||
    item.remaining === undefined ||
    item.limit_units === undefined
  )
    return undefined;
  return {
    quotaId: item.quota_id,
    subcounter: item.subcounter ?? 0,
    subcounters: item.subcounters ?? 1,
    limit: item.call_limits ?? item.limit_units,
    used: item.limit_units - item.remaining,
    window: { start: item.window_end_ms - item.window_ms, end: item.window_end_ms },
  };
};
