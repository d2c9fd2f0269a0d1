import type { Context, Middleware } from 'koa';
import { AppError, unavailable } from '../../core/platform/errors.ts';
import { isOutage } from '../../core/adapters/outage.ts';
import type { Logger } from '../../core/platform/log.ts';

/** Registered first: every error leaves as {error: {code, message, details?}}; no stack ever does. */
export function errors(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(404, 'NOT_FOUND', `no such endpoint: ${ctx.method} ${ctx.path}`);
      }
    } catch (e) {
      renderError(ctx, asAppError(e, log, { requestId: ctx.state.requestId, path: ctx.path }));
    }
  };
}

/** What the caller is told of an error: its own AppError, a 4xx or 503 it stands for, or a 500 logged here. */
export function asAppError(e: unknown, log: Logger, where: { requestId?: string; path: string }): AppError {
  const known = e instanceof AppError ? e : (fromHttpError(e) ?? fromOutage(e, log));
  if (!known) log.error({ err: e, ...where }, 'unexpected error');
  return known ?? new AppError(500, 'INTERNAL', 'something went wrong on our side; try again');
}

/** The one error shape, as the error handler writes it; a route may answer a refusal so without throwing. */
export function renderError(ctx: Context, err: AppError): void {
  ctx.status = err.status;
  if (err.headers) ctx.set(err.headers);
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  ctx.body = bodyOf(err);
}

const rendered = new WeakMap<AppError, string>();

/**
 * An error's body, rendered once per error: one made once for a whole herd (SOLD_OUT) is rendered once.
 * A string, not a Buffer: Node writes a string body in one piece with the head.
 */
export function bodyOf(err: AppError): string {
  let body = rendered.get(err);
  if (body === undefined) {
    body = JSON.stringify({
      error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) },
    });
    rendered.set(err, body);
  }
  return body;
}

/** Redis or MySQL away: a 503 the caller can retry, not a 500 that blames us for their wait. */
function fromOutage(e: unknown, log: Logger): AppError | null {
  if (!isOutage(e)) return null;
  log.warn({ err: e }, 'a dependency is unavailable');
  return unavailable('SERVICE_UNAVAILABLE', 'terning is briefly unable to answer; try again in a moment', 2);
}

/** Koa's own errors and its helpers' (raw-body, http-errors) carry a status: a 4xx is the caller's to fix. */
function fromHttpError(e: unknown): AppError | null {
  const status = (e as { status?: unknown })?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const codes: Record<number, string> = {
    400: 'BAD_REQUEST',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    413: 'BODY_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
  };
  return new AppError(status, codes[status] ?? 'BAD_REQUEST', (e as Error).message || 'bad request');
}
