import type { z } from 'zod';
import { badRequest } from '../../core/platform/errors.ts';
import { ErrorCode } from '../../core/domain/errors.ts';

/** Parses input with a strict schema; what doesn't fit is a 400 that names each problem. */
export function parse<S extends z.ZodTypeAny>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  throw badRequest(ErrorCode.VALIDATION_FAILED, issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}
