import type { z } from 'zod';
import { appError, zodDetails } from '../platform/errors.ts';

/** Validates a request part with zod; a failure is a 400 naming each offending field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'query' | 'body' | 'params'): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const details = zodDetails(r.error.issues, [where]);
  throw appError('VALIDATION_FAILED', `${details[0]?.path}: ${details[0]?.message}`, details);
}
