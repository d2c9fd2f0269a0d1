import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import sjson from 'secure-json-parse';
import { AppError } from '../../core/platform/errors.ts';

/**
 * Reads a small JSON body. Oversized bodies get 413, other media types 415, broken JSON 400, and a
 * payload that tries to reach __proto__ or constructor.prototype is refused outright.
 */
export function jsonBody(opts: { limit: number }): Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(ctx.method)) return next();
    const length = Number(ctx.get('content-length') || 0);
    const chunked = Boolean(ctx.get('transfer-encoding'));
    if (!length && !chunked) {
      ctx.state.body = undefined;
      return next();
    }
    if (!ctx.is('application/json')) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    }
    let raw: string;
    try {
      raw = await getRawBody(ctx.req, { limit: opts.limit, length: length || undefined, encoding: 'utf8' });
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type === 'entity.too.large') throw new AppError(413, 'BODY_TOO_LARGE', `the body is larger than ${opts.limit} bytes`);
      throw new AppError(400, 'BAD_BODY', 'the body could not be read');
    }
    try {
      ctx.state.body = raw.trim() === '' ? undefined : sjson.parse(raw, null, { protoAction: 'error', constructorAction: 'error' });
    } catch (e) {
      const poisoned = e instanceof SyntaxError && /prototype/i.test(e.message);
      throw new AppError(
        400,
        poisoned ? 'FORBIDDEN_KEY' : 'MALFORMED_JSON',
        poisoned ? 'the body uses a forbidden key' : 'the body is not valid JSON',
      );
    }
    return next();
  };
}
