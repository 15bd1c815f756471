import * as z from 'zod';
import { remarkSchema } from '../http/validation.ts';

/** Create instance body. */
export const createInstanceBody = z.object({
  instance_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{2,63}$/),
  description: remarkSchema.optional(),
});

const credential = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** Create app body: the name may also hold dots, as the vendor's own `app-demo` examples. */
export const createAppBody = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{2,63}$/),
  remark: remarkSchema.optional(),
  app_key: credential.optional(),
  app_secret: credential.optional(),
});
