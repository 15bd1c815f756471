import type { Clock } from '#domain/time.ts';

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

/** A clock that stands still until a test moves it. */
export interface ManualClock extends Clock {
  set(at: number | string): void;
  advance(ms: number): void;
  readonly ms: number;
}

/** A clock the test sets and advances by hand. */
export const manualClock = (start: number | string = '2026-11-23T07:00:00.000Z'): ManualClock => {
  let now = typeof start === 'string' ? Date.parse(start) : start;
  return {
    now: () => new Date(now),
    set: (at) => {
      now = typeof at === 'string' ? Date.parse(at) : at;
    },
    advance: (ms) => {
      now += ms;
    },
    get ms() {
      return now;
    },
  };
};
