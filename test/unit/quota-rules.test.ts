import { describe, expect, it } from 'vitest';
import { ApiError } from '#domain/errors.ts';
import { formatResetTime, parseResetTime, windowLengthMs } from '#domain/quota.ts';
import { parseWith } from '#http/validation.ts';
import { bindAppsBody, quotaBody } from '#schemas/quota-bodies.ts';

const valid = { name: 'ClientQuota_demo', call_limits: 1000, time_unit: 'DAY', time_interval: 1 };

const rejected = (body: unknown): string | undefined => {
  try {
    parseWith(quotaBody, body, 'body');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return /parameterName:(\w+)\./.exec((error as ApiError).message)?.[1];
  }
};

describe('reset_time', () => {
  it("reads the vendor's 'YYYY-MM-DD HH:mm:ss' as UTC and gives it back in the same form", () => {
    const date = parseResetTime('2020-09-20 00:00:00');
    expect(date?.toISOString()).toBe('2020-09-20T00:00:00.000Z');
    expect(formatResetTime(date as Date)).toBe('2020-09-20 00:00:00');
  });

  it('reads RFC 3339 with an offset and converts it to UTC', () => {
    expect(parseResetTime('2020-09-20T08:00:00+08:00')?.toISOString()).toBe('2020-09-20T00:00:00.000Z');
    expect(parseResetTime('2020-09-19T23:30:00.250-00:30')?.toISOString()).toBe('2020-09-20T00:00:00.000Z');
    expect(parseResetTime('2020-09-20T00:00:00Z')?.toISOString()).toBe('2020-09-20T00:00:00.000Z');
  });

  it('refuses dates that do not exist, missing offsets and other formats', () => {
    for (const bad of [
      '2021-02-29 00:00:00',
      '2020-13-01 00:00:00',
      '2020-09-20 24:00:00',
      '2020-09-20T00:00:00',
      '2020-09-20',
      '20 Sep 2020',
      '2020-09-20T00:00:00+25:00',
      '1969-12-31 23:59:59',
      '9999-12-31T23:59:59-23:59',
      '1970-01-01T00:00:00+00:01',
    ]) {
      expect(parseResetTime(bad), bad).toBeUndefined();
    }
  });
});

describe('quota body', () => {
  it("accepts the vendor's own example", () => {
    expect(parseWith(quotaBody, { ...valid, reset_time: '2020-09-20 00:00:00' }, 'body')).toMatchObject({
      name: 'ClientQuota_demo',
      reset_time: new Date('2020-09-20T00:00:00.000Z'),
    });
  });

  it('requires the four fields, naming the first missing one', () => {
    expect(rejected({})).toBe('name');
    expect(rejected({ ...valid, call_limits: undefined })).toBe('call_limits');
    expect(rejected({ ...valid, time_unit: undefined })).toBe('time_unit');
    expect(rejected({ ...valid, time_interval: undefined })).toBe('time_interval');
  });

  it('takes names of 3-255 letters, digits and _ starting with a letter', () => {
    expect(rejected({ ...valid, name: `Q${'a'.repeat(254)}` })).toBeUndefined();
    for (const name of ['Qa', `Q${'a'.repeat(255)}`, '_quota', '1quota', 'quota-1', 'quota.1', 'quotä']) {
      expect(rejected({ ...valid, name }), name).toBe('name');
    }
  });

  it('takes call_limits and time_interval only as JSON integers from 1 to 2147483647', () => {
    for (const field of ['call_limits', 'time_interval']) {
      expect(rejected({ ...valid, [field]: 2147483647 }), field).toBeUndefined();
      for (const value of [0, -1, 2147483648, 1.5, '10', null, true, 1e300]) {
        expect(rejected({ ...valid, [field]: value }), `${field}=${value}`).toBe(field);
      }
    }
  });

  it('takes only SECOND, MINUTE, HOUR and DAY as time_unit', () => {
    for (const unit of ['SECOND', 'MINUTE', 'HOUR', 'DAY'])
      expect(rejected({ ...valid, time_unit: unit })).toBeUndefined();
    for (const unit of ['WEEK', 'day', 'Minute', 1])
      expect(rejected({ ...valid, time_unit: unit }), String(unit)).toBe('time_unit');
  });

  it('refuses a bad reset_time and a remark over 255 characters or with < or >', () => {
    expect(rejected({ ...valid, reset_time: 'tomorrow' })).toBe('reset_time');
    expect(rejected({ ...valid, reset_time: 20200920 })).toBe('reset_time');
    expect(rejected({ ...valid, remark: 'x'.repeat(256) })).toBe('remark');
    expect(rejected({ ...valid, remark: 'a<b' })).toBe('remark');
    expect(rejected({ ...valid, remark: 'lone \ud800 surrogate' })).toBe('remark');
    expect(rejected({ ...valid, remark: 'x'.repeat(255), reset_time: null })).toBeUndefined();
  });
});

describe('window length', () => {
  it('is time_interval times the unit', () => {
    expect(windowLengthMs({ timeUnit: 'SECOND', timeInterval: 30 })).toBe(30_000);
    expect(windowLengthMs({ timeUnit: 'MINUTE', timeInterval: 3 })).toBe(180_000);
    expect(windowLengthMs({ timeUnit: 'HOUR', timeInterval: 2 })).toBe(7_200_000);
    expect(windowLengthMs({ timeUnit: 'DAY', timeInterval: 1 })).toBe(86_400_000);
  });
});

describe('bind body', () => {
  const id = (n: number) => n.toString(16).padStart(32, '0');

  it('collapses duplicates, dashed or not, keeping request order', () => {
    const body = parseWith(
      bindAppsBody,
      { app_ids: [id(2), '98df09fb-d459-4cbf-83a7-2b55ca6f3d5d', id(1), '98DF09FBD4594CBF83A72B55CA6F3D5D', id(2)] },
      'body',
    );
    expect(body.app_ids).toEqual([id(2), '98df09fbd4594cbf83a72b55ca6f3d5d', id(1)]);
  });

  it('takes 1 to 100 ids and refuses none, 101, a malformed id or a non-array', () => {
    const ids = Array.from({ length: 100 }, (_, n) => id(n));
    expect(parseWith(bindAppsBody, { app_ids: ids }, 'body').app_ids).toHaveLength(100);
    for (const app_ids of [[], [...ids, id(100)], ['nope'], id(1), null, [7]]) {
      expect(() => parseWith(bindAppsBody, { app_ids }, 'body'), JSON.stringify(app_ids).slice(0, 40)).toThrow(
        'parameterName:app_ids.',
      );
    }
  });
});
