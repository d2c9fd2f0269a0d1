import type { Context } from 'koa';
import { parse } from '../middleware/validate.ts';
import { eventId } from '../../core/domain/rules.ts';
import type { Config } from '../../core/platform/config.ts';

/** The event a route names: `:eventId` checked against the rule, or the default event on the original's paths. */
export const eventIdOf =
  (config: Pick<Config, 'defaultEventId'>) =>
  (ctx: Context): string =>
    ctx.params.eventId === undefined ? config.defaultEventId : parse(eventId, ctx.params.eventId);
