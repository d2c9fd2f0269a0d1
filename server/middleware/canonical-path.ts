import type { Middleware } from 'koa';
import { AppError } from '../../core/platform/errors.ts';

// Letters, digits and the characters a path may hold as they are, except `;` and `%`.
const SEGMENT = "(?!\\.\\.?(?:/|$))[A-Za-z0-9._~!$&'()*+,=:@-]+";
const CANONICAL = new RegExp(`^(?:/|(?:/${SEGMENT})+)$`);

/**
 * One spelling per path. An empty or dot segment, a percent-encoded character, a backslash or a `;`
 * parameter may name one path to a proxy or a browser and another to the router; terning's own paths
 * need none of them, so a path that holds one is no endpoint (404), before any route sees it.
 */
export function canonicalPath(): Middleware {
  return (ctx, next) => {
    if (!CANONICAL.test(ctx.path))
      throw new AppError(
        404,
        'NOT_FOUND',
        'no such endpoint: a path is spelled without empty or dot segments, percent-encoding, backslashes or ";"',
      );
    return next();
  };
}
