import type { Clock } from '#lib/domain/time.ts';

/** A clock that moves by `stepMs` every time it is read, so every event gets its own instant. */
export const steppingClock = (start = Date.parse('2026-11-23T07:00:00.000Z'), stepMs = 1000): Clock => {
  let now = start;
  return {
    now: () => {
      const date = new Date(now);
      now += stepMs;
      return date;
    },
  };
};
