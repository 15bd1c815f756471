import * as z from 'zod';
import { remarkSchema } from '#http/validation.ts';

/** Create instance body. */
export const createInstanceBody = z.object({
  instance_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{2,63}$/),
  description: remarkSchema.optional(),
});

/** An `app_key` or `app_secret`: 8-64 letters, digits, `_` and `-`. */
export const credentialSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** Create app body: the name may also hold dots, as the vendor's own `app-demo` examples. */
export const createAppBody = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{2,63}$/),
  remark: remarkSchema.optional(),
  app_key: credentialSchema.optional(),
  app_secret: credentialSchema.optional(),
});

/**
 * Update app body: name and remark, with the rules of create. The vendor's `app_key` and
 * `app_secret` (UpdateAppV2) are refused with 400 naming the field, never ignored: a client
 * rotating a leaked key must not be told it succeeded. A secret has its own route (reset secret),
 * which shows the new one once; a key is what consume counts a credential under (a new app takes
 * a new key).
 */
export const updateAppBody = createAppBody.pick({ name: true, remark: true }).extend({
  app_key: z.never().optional().describe('Not taken: refused with 400 APIG.2012 (a new key is a new app)'),
  app_secret: z.never().optional().describe('Not taken: refused with 400 APIG.2012 (use reset secret)'),
});

/** Reset secret body: the new secret, generated when absent. */
export const resetAppSecretBody = z.object({ app_secret: credentialSchema.optional() });
