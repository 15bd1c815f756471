import * as z from 'zod';
import { invalidParameter } from '#domain/errors.ts';
import { canonicalId, ID_PATTERN } from '#domain/ids.ts';
import { parseInstant } from '#domain/time.ts';

/**
 * Parses a value with a schema or throws 400 `APIG.2012` naming the first offending field (its
 * top-level name), or `fallbackName` when the value as a whole is wrong.
 */
export const parseWith = <S extends z.ZodType>(schema: S, value: unknown, fallbackName: string): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const field = result.error.issues[0]?.path[0];
  throw invalidParameter(typeof field === 'string' ? field : fallbackName);
};

/** An id from a client: 32 hex characters or a dashed UUID, given back canonical (32 lowercase hex). */
export const idSchema = z
  .string()
  .regex(ID_PATTERN)
  .transform((value) => canonicalId(value) as string)
  .meta({ description: '32 hex characters, or a dashed UUID; compared without dashes and case' });

/** A project id as it appears in paths (and so in storage keys). */
export const projectIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Text that can be stored as UTF-8: no lone surrogate halves. */
const wellFormed = (value: string) => value.isWellFormed();

/** Free text that may not contain `<` or `>` (remarks, descriptions). */
export const remarkSchema = z
  .string()
  .max(255)
  .regex(/^[^<>]*$/)
  .refine(wellFormed);

/** The largest page a list answers. */
export const MAX_PAGE_SIZE = 500;
/** The page size when none (or 0 or less) is asked for. */
export const DEFAULT_PAGE_SIZE = 20;

const decimal = z.string().regex(/^-?\d+$/);

/** `offset`: a decimal integer; below 0 is taken as 0. */
export const offsetSchema = decimal.optional().transform((value) => Math.max(0, Number(value ?? 0)));

/** `limit`: a decimal integer; absent, 0 or less is 20; over 500 is 500. */
export const limitSchema = decimal.optional().transform((value) => {
  const limit = Number(value ?? 0);
  return limit <= 0 ? DEFAULT_PAGE_SIZE : Math.min(limit, MAX_PAGE_SIZE);
});

/** A case-insensitive substring filter on names. */
export const nameFilterSchema = z.string().max(64).refine(wellFormed).optional();

/**
 * An instant in a query: RFC 3339 with an offset (as every answer writes times, milliseconds
 * kept) or `YYYY-MM-DD HH:mm:ss` in UTC (as `reset_time` is written).
 */
export const instantSchema = z
  .string()
  .transform((value, ctx) => {
    const date = parseInstant(value);
    if (date) return date;
    ctx.addIssue({ code: 'custom', message: 'not an instant' });
    return z.NEVER;
  })
  .meta({ description: 'RFC 3339 with an offset (2026-12-01T18:35:00.000Z) or YYYY-MM-DD HH:mm:ss in UTC' });
