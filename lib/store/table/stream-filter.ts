import { COUNTER_SORT_KEY } from './keys.ts';

/**
 * A Lambda event filter pattern, in the subset the service uses: nested fields whose leaves list
 * the values a record's field may equal.
 */
export interface FilterPattern {
  readonly [field: string]: FilterPattern | readonly (string | number)[];
}

/**
 * The event source mapping's filter: counter records only (sort key `COUNTER`), in any change
 * (insert, modify, remove). Lambda drops every other record of the table before invoking, free;
 * the local stream reader applies the same pattern with {@link matchesPattern}.
 */
export const COUNTER_RECORDS_PATTERN: FilterPattern = { dynamodb: { Keys: { sk: { S: [COUNTER_SORT_KEY] } } } };

/**
 * Whether a record matches a pattern as Lambda's event filtering matches it: every field the
 * pattern names is present, and a leaf's value is one of the listed ones (a list in the record
 * matches when any of its values is).
 */
export const matchesPattern = (pattern: FilterPattern, value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = record[field];
    if (!Array.isArray(expected)) return matchesPattern(expected as FilterPattern, actual);
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((candidate) => expected.includes(candidate as string | number));
  });
};
