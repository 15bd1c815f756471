import { describe, expect, it } from 'vitest';
import { ApiError } from '#domain/errors.ts';
import { canonicalId } from '#domain/ids.ts';
import { parseWith } from '#http/validation.ts';
import { nameListQuery } from '#schemas/list-query.ts';
import { appPath } from '#schemas/path.ts';
import { createAppBody, createInstanceBody } from '#schemas/registry-bodies.ts';

const rejectionOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return (error as ApiError).message;
  }
};

const names = (field: string) =>
  `Invalid parameter value,parameterName:${field}. Please refer to the support documentation`;

describe('ids', () => {
  it('accepts 32 hex characters or a dashed UUID, compared without dashes and case', () => {
    expect(canonicalId('98df09fb-d459-4cbf-83a7-2b55ca6f3d5d')).toBe('98df09fbd4594cbf83a72b55ca6f3d5d');
    expect(canonicalId('C900C5612DBE451BB43CBCC49CFAF2F3')).toBe('c900c5612dbe451bb43cbcc49cfaf2f3');
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'abc',
      'g900c5612dbe451bb43cbcc49cfaf2f3',
      '98df09fb-d459-4cbf-83a7-2b55ca6f3d5',
      '98df09fbd459-4cbf-83a7-2b55ca6f3d5d',
    ]) {
      expect(canonicalId(bad), bad).toBeUndefined();
    }
  });

  it('names the first bad path parameter', () => {
    expect(rejectionOf(() => parseWith(appPath, { project_id: 'demo', instance_id: 'x', app_id: 'y' }, 'path'))).toBe(
      names('instance_id'),
    );
    expect(
      rejectionOf(() =>
        parseWith(
          appPath,
          { project_id: 'demo', instance_id: 'c900c5612dbe451bb43cbcc49cfaf2f3', app_id: 'y' },
          'path',
        ),
      ),
    ).toBe(names('app_id'));
  });
});

describe('paging query', () => {
  const parse = (query: Record<string, string>) => parseWith(nameListQuery, query, 'query');

  it('defaults to offset 0 and limit 20', () => {
    expect(parse({})).toEqual({ offset: 0, limit: 20 });
  });

  it('takes an offset below 0 as 0, a limit of 0 or less as 20, over 500 as 500', () => {
    expect(parse({ offset: '-5', limit: '0' })).toMatchObject({ offset: 0, limit: 20 });
    expect(parse({ limit: '-3' })).toMatchObject({ limit: 20 });
    expect(parse({ limit: '501' })).toMatchObject({ limit: 500 });
    expect(parse({ offset: '7', limit: '500' })).toMatchObject({ offset: 7, limit: 500 });
  });

  it('refuses an offset or limit that is not a decimal integer, naming it', () => {
    for (const bad of ['abc', '1.5', '1e3', '', ' 1', '0x10']) {
      expect(
        rejectionOf(() => parse({ offset: bad })),
        bad,
      ).toBe(names('offset'));
      expect(
        rejectionOf(() => parse({ limit: bad })),
        bad,
      ).toBe(names('limit'));
    }
  });

  it('refuses a name filter over 64 characters', () => {
    expect(rejectionOf(() => parse({ name: 'a'.repeat(65) }))).toBe(names('name'));
    expect(parse({ name: 'a'.repeat(64) }).name).toHaveLength(64);
  });
});

describe('bodies', () => {
  it('accepts instance names of 3-64 characters starting with a letter', () => {
    expect(parseWith(createInstanceBody, { instance_name: 'gw_1-a' }, 'body').instance_name).toBe('gw_1-a');
    for (const bad of ['ab', '1abc', 'a'.repeat(65), 'has space', 'dot.ted', 'ünï', 42]) {
      expect(
        rejectionOf(() => parseWith(createInstanceBody, { instance_name: bad }, 'body')),
        String(bad),
      ).toBe(names('instance_name'));
    }
  });

  it("accepts app names like the vendor's app-demo, with dots, and refuses others", () => {
    expect(parseWith(createAppBody, { name: 'app-demo.v2' }, 'body').name).toBe('app-demo.v2');
    for (const bad of ['ap', '_app', 'a'.repeat(65), 'app demo', 'appé']) {
      expect(
        rejectionOf(() => parseWith(createAppBody, { name: bad }, 'body')),
        bad,
      ).toBe(names('name'));
    }
  });

  it('refuses a remark with < or > or over 255 characters', () => {
    expect(rejectionOf(() => parseWith(createAppBody, { name: 'app', remark: '<b>' }, 'body'))).toBe(names('remark'));
    expect(rejectionOf(() => parseWith(createAppBody, { name: 'app', remark: 'r'.repeat(256) }, 'body'))).toBe(
      names('remark'),
    );
  });

  it('refuses app_key and app_secret outside 8-64 letters, digits, _ and -', () => {
    expect(rejectionOf(() => parseWith(createAppBody, { name: 'app', app_key: 'short' }, 'body'))).toBe(
      names('app_key'),
    );
    expect(rejectionOf(() => parseWith(createAppBody, { name: 'app', app_secret: 'has space!' }, 'body'))).toBe(
      names('app_secret'),
    );
  });

  it('ignores unknown fields', () => {
    expect(parseWith(createAppBody, { name: 'app', colour: 'blue' }, 'body')).toEqual({ name: 'app' });
  });
});
